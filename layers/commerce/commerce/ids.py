"""ULIDs: 128-bit identifiers that sort by creation time, as 26 Crockford base32 characters.

Twenty lines of standard library instead of a dependency in every function's layer.
Monotonic within one millisecond in one process, so ids made in a burst still sort.
"""

from __future__ import annotations

import os
import re
import threading
import time

__all__ = ["ULID_PATTERN", "is_ulid", "new_id"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"
_ULID_RE = re.compile(ULID_PATTERN)
_lock = threading.Lock()
_last = 0
_RANDOM_BITS = 80


def _encode(value: int) -> str:
    chars = []
    for _ in range(26):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))


def new_id(now_ms: int | None = None) -> str:
    """Within one millisecond (or if the clock steps back) the previous id plus one, so an
    overflowing random part carries into the timestamp instead of wrapping."""
    global _last
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    candidate = (ms << _RANDOM_BITS) | int.from_bytes(os.urandom(10), "big")
    with _lock:
        if ms <= _last >> _RANDOM_BITS:
            candidate = _last + 1
        _last = candidate
    return _encode(candidate)


def is_ulid(value: str) -> bool:
    return bool(_ULID_RE.match(value))
