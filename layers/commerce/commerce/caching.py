"""An in-function cache for hot reads: a warm Lambda environment reuses what it read recently.

Each environment has its own copy, so a write made elsewhere (another environment, another
function) is seen once the entry expires: the TTL is the bound on staleness, and a write made
through this environment invalidates its entry at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

__all__ = ["TtlCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """A bounded TTL cache safe to share between threads (cachetools' is not)."""

    def __init__(
        self, ttl_seconds: float, max_entries: int = 1024, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: TTLCache[K, V] = TTLCache(maxsize=max_entries, ttl=ttl_seconds, timer=timer)
        self._lock = threading.Lock()

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        """The cached value, or ``load()``'s (then cached). Loads run outside the lock."""
        with self._lock:
            if key in self._entries:
                return self._entries[key]
        value = load()
        with self._lock:
            self._entries[key] = value
        return value

    def peek(self, key: K) -> V | None:
        """The cached value, or None when there is none (or it is None)."""
        with self._lock:
            return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value

    def invalidate(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
