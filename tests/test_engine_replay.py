"""Replay: recorded commands executed on a fresh engine give the same events, results and state."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands import Cancel, Command, Submit
from engine.events import Event
from engine.matcher import MatchingEngine, create_crypto_engine
from engine.sequencing import IdSource
from tests.conftest import StepClock, check_all


class MemoryJournal:
    failed = False

    def __init__(self) -> None:
        self.commands: list[Command] = []

    def record(self, command: Command, events: list) -> None:
        # one call per command, with that command's own events: a journal keeps them together
        assert events and events[0].order_id == command.order_id, (command, events)
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


def replay(engine: MatchingEngine, commands: list[Command]) -> None:
    """Execute recorded commands; each must execute (a refusal means the journal does not fit)."""
    for command in commands:
        result = engine.execute(command)
        assert result.executed, (command, result)


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
    return journal, events, engine.snapshot()


@settings(max_examples=200, deadline=None)
@given(ops)
def test_replay_reproduces_events_and_state(stream: list) -> None:
    journal, events, state = run(stream)
    fresh = create_crypto_engine(ids=IdSource(), clock=StepClock())
    replayed: list[Event] = []
    fresh.add_event_listener(replayed.append)
    replay(fresh, journal.commands)
    assert replayed == events
    assert fresh.snapshot() == state
    check_all(fresh)


@settings(max_examples=30, deadline=None)
@given(ops, st.integers(0, 150))
def test_snapshot_then_replay_the_rest(stream: list, cut: int) -> None:
    journal, events, state = run(stream)
    cut = min(cut, len(journal.commands))
    first = create_crypto_engine(ids=IdSource(), clock=StepClock())
    replay(first, journal.commands[:cut])
    middle = first.snapshot()
    second = create_crypto_engine(ids=IdSource(), clock=StepClock())
    second.restore(middle)
    check_all(second)
    tail: list[Event] = []
    second.add_event_listener(tail.append)
    replay(second, journal.commands[cut:])
    assert second.snapshot() == state
    assert tail == events[len(events) - len(tail):]
    check_all(second)


def test_null_journal_changes_nothing() -> None:
    from engine.commands import NullJournal

    plain = create_crypto_engine(ids=IdSource(), clock=StepClock())
    journaled = create_crypto_engine(ids=IdSource(), clock=StepClock(), journal=NullJournal())
    for engine in (plain, journaled):
        engine.submit_order("BTC-USDT", "sell", "limit", "0.5", "30000")
        engine.submit_order("BTC-USDT", "buy", "market", "0.2")
    assert plain.snapshot() == journaled.snapshot()


def _runtime(text: str) -> str:
    """An equal string that is not the interned literal (as JSON decoding or a journal would build it)."""
    built = "".join(list(text))
    assert built == text and built is not text
    return built


def test_strings_built_at_run_time_mean_the_same_as_literals() -> None:
    results = []
    for make in (lambda t: t, _runtime):
        engine = create_crypto_engine(ids=IdSource(), clock=StepClock())
        engine.execute(Submit("BTC-USDT", make("sell"), make("limit"), 3_000_000, 50_000_000))
        taker = engine.execute(Submit("BTC-USDT", make("buy"), make("limit"), 3_000_000, 20_000_000))
        ioc = engine.execute(Submit("BTC-USDT", make("buy"), make("ioc"), 3_000_000, 40_000_000))
        results.append([(r.code, r.status, r.remaining_lots, [(t.price_ticks, t.qty_lots) for t in r.trades])
                        for r in (taker, ioc)])
        engine.check_invariants()
    assert results[0] == results[1]
    assert results[0] == [("OK", "filled", 0, [(3_000_000, 20_000_000)]),
                          ("OK", "cancelled", 10_000_000, [(3_000_000, 30_000_000)])]


@given(ops)
@settings(max_examples=50, deadline=None)
def test_replay_of_decoded_strings_matches(stream: list) -> None:
    """Recorded commands whose enums became plain strings (as a decoder may give) replay identically."""
    journal, events, state = run(stream)
    as_strings = []
    for c in journal.commands:
        if isinstance(c, Submit):
            as_strings.append(Submit(c.symbol, _runtime(c.side.value), _runtime(c.order_type.value), c.price_ticks,
                                     c.qty_lots, c.client_order_id, c.post_only, c.order_id, c.ts_ns))
        else:
            assert isinstance(c, Cancel)
            as_strings.append(c)
    fresh = create_crypto_engine(ids=IdSource(), clock=StepClock())
    replayed: list[Event] = []
    fresh.add_event_listener(replayed.append)
    replay(fresh, as_strings)
    assert replayed == events and fresh.snapshot() == state


def test_snapshots_of_earlier_formats_still_load() -> None:
    """Format 3 keeps orders per field; formats 1 and 2 kept a list per order (1 also held the symbol)."""
    _, _, state = run([("BTC-USDT", "buy", "limit", 5, -1, 3, True), ("BTC-USDT", "sell", "limit", 2, -1, 0, True),
                       ("BTC-USDT", "sell", "limit", 3, 4, 3, False), ("ETH-USDT", "buy", "ioc", 7, 2, 3, True)])
    fields = ("order_id", "side", "order_type", "price_ticks", "qty_lots", "remaining_lots", "status",
              "client_order_id", "ts_ns")
    codes = {"b": "buy", "s": "sell", "l": "limit", "m": "market", "i": "ioc", "f": "fok", "p": "pending",
             "P": "partially_filled", "F": "filled", "c": "cancelled", "r": "rejected"}

    def as_rows(columns: dict, symbol: str | None) -> list[list]:
        rows = [[codes.get(v, v) if isinstance(v, str) and name in ("side", "order_type", "status") else v
                 for name, v in zip(fields, values)] for values in zip(*(columns[f] for f in fields))]
        return [r[:1] + [symbol] + r[1:] for r in rows] if symbol else rows

    # what formats 1 to 3 held: no accounts, no account column, trades of 7 fields
    before_accounts = {k: v for k, v in state.items() if k != "accounts"}
    before_accounts["markets"] = {
        s: {**m, "resting": {f: v for f, v in m["resting"].items() if f != "account"},
            "history": {f: v for f, v in m["history"].items() if f != "account"},
            "recent_trades": [row[:7] for row in m["recent_trades"]]} for s, m in state["markets"].items()}
    three = {**before_accounts, "version": 3}
    fresh = create_crypto_engine(ids=IdSource(), clock=StepClock())
    fresh.restore(three)
    full = state
    assert fresh.snapshot() == full
    check_all(fresh)
    state = before_accounts
    for version in (1, 2):
        old = {**state, "version": version, "markets": {
            s: {**m, "resting": as_rows(m["resting"], None),
                "history": as_rows(m["history"], s if version == 1 else None)} for s, m in state["markets"].items()}}
        fresh = create_crypto_engine(ids=IdSource(), clock=StepClock())
        fresh.restore(old)
        assert fresh.snapshot() == full
        check_all(fresh)
