"""Benchmarks that print figures and ratios measured in one run, never pass/fail timings.

Each one compares our code with a floor measured the same way, in the same run, so that
the ratio stays meaningful on a shared, noisy machine. Run all with ``python -m bench``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

__all__ = ["ROOT", "percentile"]

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (``q`` in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
