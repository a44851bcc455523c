"""Rate-limit counters for the fixed-window strategy, in memory, without a timer thread.

The ``limits`` package's own memory storage starts a ``threading.Timer`` whenever a counter
changes and none is running, to drop expired counters 10 ms later: under load that is a new
thread (a green thread under eventlet) about every 10 ms, each in a reference cycle that only
the cyclic collector reclaims, and a scan of every counter each time. Here a counter whose
window has passed is reset when it is next read or hit, and expired counters are swept at
most once a second, on a hit: the same answers, with nothing running in the background.

Registered with ``limits`` as the ``me-memory://`` storage (Flask-Limiter's ``storage_uri``).
Only the fixed-window strategy is supported (the strategy this server uses).
"""
from __future__ import annotations

import threading
import time
from heapq import heappop, heappush
from typing import Any

from limits.storage import Storage

SWEEP_INTERVAL_S = 1.0


def _now() -> float:
    return time.time()


class WindowCounters(Storage):
    """Fixed-window counters: ``key -> (count, window end)``; an expired window counts as empty."""

    STORAGE_SCHEME = ["me-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.counts: dict[str, int] = {}
        self.ends: dict[str, float] = {}
        self._expiring: list[tuple[float, str]] = []  # (window end, key), one entry per window opened
        self._lock = threading.Lock()  # threading mode; under eventlet nothing here yields anyway
        self._next_sweep = 0.0
        self.sweeps = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to the key's window, opening a new window of ``expiry`` seconds if it has none. O(1)
        (O(keys) once a second, to drop expired ones)."""
        now = _now()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            if self.ends.get(key, 0.0) <= now:
                end = self.ends[key] = now + expiry
                heappush(self._expiring, (end, key))
                count = amount
            else:
                count = self.counts[key] + amount
            self.counts[key] = count
            return count

    def get(self, key: str) -> int:
        """The count in the key's current window (0 once it has passed). O(1)."""
        with self._lock:
            if self.ends.get(key, 0.0) <= _now():
                return 0
            return self.counts[key]

    def get_expiry(self, key: str) -> float:
        """When the key's current window ends (now if it has none). O(1)."""
        now = _now()
        end = self.ends.get(key, now)
        return end if end > now else now

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self.counts)
            self.counts.clear()
            self.ends.clear()
            self._expiring.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self.counts.pop(key, None)
            self.ends.pop(key, None)

    @property
    def storage(self) -> dict[str, int]:
        """The counters by key (what Flask-Limiter's ``flask limiter`` commands read)."""
        return self.counts

    def _sweep(self, now: float) -> None:
        """Forget every key whose window has passed (the caller holds the lock). O(expired x log windows)."""
        expiring, ends = self._expiring, self.ends
        while expiring and expiring[0][0] <= now:
            end, key = heappop(expiring)
            if ends.get(key) == end:  # not a window since replaced by a newer one, or cleared
                del ends[key]
                del self.counts[key]
        self._next_sweep = now + SWEEP_INTERVAL_S
        self.sweeps += 1
