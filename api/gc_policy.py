"""Garbage-collector policy for the server process: keep full collections short.

CPython's full (generation 2) collection visits every tracked object, and every resting
order is one: with 300,000 orders in the books a full collection stops the server for
about 60 ms, and it grows with the books. Objects that survived a full collection are
alive at that moment; moving them to the permanent generation (:func:`gc.freeze`) keeps
the next full collections to what was created since.

Frozen objects are still freed by reference counting when they are dropped (orders filled
or cancelled: the order path makes no reference cycles). A frozen object that later ends
up in a cycle (a request in flight during the collection, a closed connection) would never
be reclaimed, so every ``rescan_s`` seconds the frozen objects are handed back and the next
full collection scans everything once, as CPython would on its own.
"""
from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

OLDEST = len(gc.get_count()) - 1  # generation 2 in CPython


class FreezeSurvivors:
    """A ``gc.callbacks`` entry: after a full collection, freeze its survivors."""

    def __init__(self, rescan_s: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.rescan_s = rescan_s
        self.clock = clock
        self.last_rescan = clock()
        self.freezes = 0
        self.rescans = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info["generation"] != OLDEST:
            return
        now = self.clock()
        if now - self.last_rescan >= self.rescan_s:
            gc.unfreeze()  # the next full collection sees everything, and reclaims any stray cycle
            self.last_rescan = now
            self.rescans += 1
        else:
            gc.freeze()
            self.freezes += 1


_installed: FreezeSurvivors | None = None


def install(rescan_s: float = 600.0) -> FreezeSurvivors:
    """Freeze what is alive now (modules, the app, a recovered book), and after each full collection."""
    global _installed
    uninstall()
    gc.collect()
    gc.freeze()
    _installed = FreezeSurvivors(rescan_s)
    gc.callbacks.append(_installed)
    return _installed


def uninstall() -> None:
    """Stop freezing, and hand every frozen object back to the collector."""
    global _installed
    if _installed is not None and _installed in gc.callbacks:
        gc.callbacks.remove(_installed)
    _installed = None
    gc.unfreeze()
