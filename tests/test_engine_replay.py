"""Replay: recorded commands applied to a fresh engine give the same events and the same state."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands import Command
from engine.events import Event
from engine.matcher import create_crypto_engine
from engine.sequencing import IdSource
from engine.state import export_state, import_state
from tests.conftest import StepClock, check_all


class MemoryJournal:
    def __init__(self) -> None:
        self.commands: list[Command] = []

    def record(self, command: Command) -> None:
        self.commands.append(command)


ops = st.lists(
    st.tuples(
        st.sampled_from(["BTC-USDT", "ETH-USDT"]),
        st.sampled_from(["buy", "sell"]),
        st.sampled_from(["limit", "limit", "market", "ioc", "fok", "post"]),
        st.integers(1, 30),        # quantity in 0.01
        st.integers(-8, 8),        # price offset in ticks of 1.00
        st.integers(0, 5),         # 0: cancel an earlier order after this one
        st.booleans(),             # give a client order id
    ),
    max_size=150,
)


def run(stream: list) -> tuple[MemoryJournal, list[Event], dict]:
    journal = MemoryJournal()
    engine = create_crypto_engine(ids=IdSource(), clock=StepClock(), journal=journal)
    events: list[Event] = []
    engine.add_event_listener(events.append)
    ids: list[tuple[str, int]] = []
    for i, (symbol, side, kind, qty, offset, cancel, coid) in enumerate(stream):
        base = 30000 if symbol == "BTC-USDT" else 3000
        order_type = "limit" if kind == "post" else kind
        price = None if kind == "market" else f"{base + offset}.00"
        r = engine.submit_order(symbol, side, order_type, f"{qty / 100:.2f}", price,
                                f"c{i % 7}" if coid else None, post_only=kind == "post")
        if "order_id" in r:
            ids.append((symbol, r["order_id"]))
        if cancel == 0 and ids:
            engine.cancel_order(*ids[len(ids) // 2])
    return journal, events, export_state(engine)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_replay_reproduces_events_and_state(stream: list) -> None:
    journal, events, state = run(stream)
    fresh = create_crypto_engine(ids=IdSource(), clock=StepClock())
    replayed: list[Event] = []
    fresh.add_event_listener(replayed.append)
    for command in journal.commands:
        fresh.apply(command)
    assert replayed == events
    assert export_state(fresh) == state
    check_all(fresh)


@settings(max_examples=30, deadline=None)
@given(ops, st.integers(0, 150))
def test_snapshot_then_replay_the_rest(stream: list, cut: int) -> None:
    journal, events, state = run(stream)
    cut = min(cut, len(journal.commands))
    first = create_crypto_engine(ids=IdSource(), clock=StepClock())
    for command in journal.commands[:cut]:
        first.apply(command)
    middle = export_state(first)
    second = create_crypto_engine(ids=IdSource(), clock=StepClock())
    import_state(second, middle)
    check_all(second)
    tail: list[Event] = []
    second.add_event_listener(tail.append)
    for command in journal.commands[cut:]:
        second.apply(command)
    assert export_state(second) == state
    assert tail == events[len(events) - len(tail):] if tail else True
    check_all(second)


def test_null_journal_changes_nothing() -> None:
    from engine.commands import NullJournal

    plain = create_crypto_engine(ids=IdSource(), clock=StepClock())
    journaled = create_crypto_engine(ids=IdSource(), clock=StepClock(), journal=NullJournal())
    for engine in (plain, journaled):
        engine.submit_order("BTC-USDT", "sell", "limit", "0.5", "30000")
        engine.submit_order("BTC-USDT", "buy", "market", "0.2")
    assert export_state(plain) == export_state(journaled)
