"""The server's garbage-collector policy (api/gc_policy.py): survivors of a full collection are
frozen, new cycles are still collected, and a periodic rescan reclaims cycles among frozen objects."""
from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from api import gc_policy


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> tuple[Node, weakref.ref[Node]]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a, weakref.ref(a)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def policy() -> Iterator[gc_policy.FreezeSurvivors]:
    installed = gc_policy.install(rescan_s=600.0)
    clock = Clock()
    installed.clock, installed.last_rescan = clock, 0.0
    try:
        yield installed
    finally:
        gc_policy.uninstall()
        gc.collect()


def test_survivors_of_a_full_collection_are_frozen(policy: gc_policy.FreezeSurvivors) -> None:
    kept = [Node() for _ in range(1000)]
    before = gc.get_freeze_count()
    gc.collect()
    assert policy.freezes >= 1
    assert gc.get_freeze_count() >= before + len(kept)
    assert not any(obj is kept[0] for obj in gc.get_objects())  # out of the collector's scans


def test_new_cycles_are_still_collected(policy: gc_policy.FreezeSurvivors) -> None:
    gc.collect()
    node, ref = _cycle()
    del node
    gc.collect()
    assert ref() is None


def test_rescan_reclaims_a_cycle_that_formed_among_frozen_objects(policy: gc_policy.FreezeSurvivors) -> None:
    node, ref = _cycle()
    gc.collect()  # the live cycle survives and is frozen
    del node  # now garbage, but frozen: full collections do not see it
    gc.collect()
    assert ref() is not None
    policy.clock.now = 601.0  # type: ignore[attr-defined]
    gc.collect()  # ends with a rescan: frozen objects are handed back
    assert policy.rescans == 1 and gc.get_freeze_count() == 0
    gc.collect()
    assert ref() is None


def test_uninstall_hands_everything_back() -> None:
    gc_policy.install()
    gc_policy.uninstall()
    assert gc.get_freeze_count() == 0
    assert not any(isinstance(cb, gc_policy.FreezeSurvivors) for cb in gc.callbacks)
