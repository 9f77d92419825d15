"""Runs every benchmark, then prints one summary table of their ratios.

``python -m bench`` for the full run, ``python -m bench --quick`` for CI's smoke run.
Figures are printed, never asserted: the exit code only says whether the benchmarks ran.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NamedTuple

from bench import cold_import, reservations, search, warm_request


class Row(NamedTuple):
    name: str
    measured: float
    floor: float
    unit: str
    target: float

    @property
    def ratio(self) -> float:
        return self.measured / self.floor


def summary(rows: Sequence[Row]) -> None:
    print("Summary (medians; ratio = measured / floor; informative, never a failure)")
    print(f"  {'benchmark':<28} {'measured':>12} {'floor':>12} {'ratio':>7} {'target':>8}")
    for row in rows:
        verdict = "ok" if row.ratio <= row.target else "over"
        print(
            f"  {row.name:<28} {row.measured:9.1f} {row.unit:<2} {row.floor:9.1f} {row.unit:<2}"
            f" {row.ratio:7.2f} {'<= ' + str(row.target):>8}  {verdict}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with few repetitions")
    args = parser.parse_args(argv)

    cold = cold_import.run(args.quick)
    cold_import.report(cold)
    print()
    warm = warm_request.run(args.quick)
    warm_request.report(warm)
    print()
    held = reservations.run(args.quick)
    reservations.report(held)
    print()
    found = search.run(args.quick)
    search.report(found)
    print()

    rows = [
        Row(f"cold import {service}", cold.median(service), cold.floor_median, "ms", cold_import.TARGET)
        for service in cold_import.SERVICES
    ]
    rows.append(
        Row(
            "warm GET /v1/products/{id}", warm.handler.median, warm.get_item.median, "µs", warm_request.TARGET
        )
    )
    ten_lines = held.step("reserve", max(reservations.LINE_COUNTS))
    rows += [
        Row("TransactWriteItems per step", held.most_transactions, 1, "tx", 1.0),
        Row(
            f"reserve {ten_lines.lines} lines: WCU (model)",
            ten_lines.write_units,
            2 * ten_lines.transaction_items,
            "WU",
            1.0,
        ),
        Row(
            f"reserve, {reservations.THREADS} thr / 1 thr",
            held.multi_total.millis_each,
            held.single_total.millis_each,
            "ms",
            reservations.TARGET,
        ),
    ]
    # The engine chosen first; medians over the queries the scan answered too.
    rows += [
        Row(
            f"search {engine} / scan",
            found.engines[engine].median_of(found.scanned),
            found.scan.median_ms,
            "ms",
            search.TARGET,
        )
        for engine in sorted(search.ENGINES, key=lambda engine: engine != search.CHOSEN)
    ]
    summary(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
