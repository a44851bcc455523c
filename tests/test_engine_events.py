"""Events: per-symbol sequences, maker and taker updates, level deltas, failing handlers, determinism."""
from __future__ import annotations

import random

from engine.events import Event, LevelChanged, OrderAccepted, OrderCancelled, OrderUpdated, TradeExecuted
from engine.matcher import MatchingEngine, create_crypto_engine
from engine.sequencing import IdSource
from tests.conftest import StepClock, check_all

SYM = "BTC-USDT"


def recording(engine: MatchingEngine) -> list[Event]:
    events: list[Event] = []
    engine.add_event_listener(events.append)
    return events


def test_crossing_order_events_for_maker_and_taker(engine: MatchingEngine) -> None:
    events = recording(engine)
    maker = engine.submit_order(SYM, "sell", "limit", "0.5", "30000")
    taker = engine.submit_order(SYM, "buy", "limit", "0.2", "30000")
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["OrderAccepted", "LevelChanged", "OrderAccepted", "TradeExecuted", "OrderUpdated",
                     "OrderUpdated", "LevelChanged"]
    assert [e.sequence for e in events] == list(range(1, 8))
    maker_upd, taker_upd = events[4], events[5]
    assert isinstance(maker_upd, OrderUpdated) and maker_upd.order_id == maker["order_id"] and maker_upd.is_maker
    assert maker_upd.status == "partially_filled" and maker_upd.remaining_lots == 30_000_000
    assert isinstance(taker_upd, OrderUpdated) and taker_upd.order_id == taker["order_id"] and taker_upd.status == "filled"
    level = events[6]
    assert isinstance(level, LevelChanged) and (level.side, level.price_ticks, level.total_lots) == ("sell", 3_000_000, 30_000_000)
    assert engine.get_book_snapshot(SYM)["sequence"] == 7


def test_sequences_are_per_symbol_and_contiguous(engine: MatchingEngine) -> None:
    events = recording(engine)
    rng = random.Random(7)
    for _ in range(400):
        sym = rng.choice(["BTC-USDT", "ETH-USDT"])
        price = str(rng.randint(2990, 3010)) if sym == "ETH-USDT" else str(rng.randint(29990, 30010))
        r = engine.submit_order(sym, rng.choice(["buy", "sell"]), rng.choice(["limit", "ioc", "market"]), "0.01" if sym == "ETH-USDT" else "0.001",
                                None if rng.random() < 0.1 else price)
        if "order_id" in r and rng.random() < 0.3:
            engine.cancel_order(sym, r["order_id"])
    for sym in ("BTC-USDT", "ETH-USDT"):
        seqs = [e.sequence for e in events if e.symbol == sym]
        assert seqs == list(range(1, len(seqs) + 1))
        assert engine.get_book_snapshot(sym)["sequence"] == seqs[-1]


def test_cancel_events_and_dict_handlers(engine: MatchingEngine) -> None:
    trades: list[dict] = []
    orders: list[dict] = []
    engine.add_trade_handler(trades.append)
    engine.add_order_handler(orders.append)
    r = engine.submit_order(SYM, "sell", "limit", "0.1", "30000", "mine")
    engine.submit_order(SYM, "buy", "market", "0.05")
    engine.cancel_order(SYM, r["order_id"])
    assert [t["price"] for t in trades] == ["30000.00"]
    types = [(o["event_type"], o["order_id"]) for o in orders]
    assert ("partially_filled", r["order_id"]) in types and types[-1] == ("cancelled", r["order_id"])
    assert orders[-1]["remaining_quantity"] == "0.05000000" and orders[-1]["client_order_id"] == "mine"


def test_failing_handler_never_corrupts(engine: MatchingEngine) -> None:
    def boom(_: object) -> None:
        raise RuntimeError("listener bug")

    engine.add_event_listener(boom)
    engine.add_trade_handler(boom)
    engine.submit_order(SYM, "sell", "limit", "0.1", "30000")
    r = engine.submit_order(SYM, "buy", "limit", "0.1", "30000")
    assert r["status"] == "filled"
    check_all(engine)


def run_stream(seed: int) -> tuple[list[Event], dict]:
    engine = create_crypto_engine(ids=IdSource(), clock=StepClock())
    events = recording(engine)
    rng = random.Random(seed)
    for _ in range(500):
        r = engine.submit_order(SYM, rng.choice(["buy", "sell"]), rng.choice(["limit", "limit", "ioc", "fok", "market"]),
                                f"0.{rng.randint(1, 9)}", str(rng.randint(29995, 30005)))
        if r.get("reason") == "PRICE_NOT_ALLOWED":
            continue
        if rng.random() < 0.2 and "order_id" in r:
            engine.cancel_order(SYM, r["order_id"])
    return events, engine.get_book_snapshot(SYM, 100)


def test_same_commands_same_ids_and_clock_give_identical_events() -> None:
    a_events, a_snap = run_stream(5)
    b_events, b_snap = run_stream(5)
    assert a_events == b_events
    assert {k: v for k, v in a_snap.items() if k != "timestamp"} == {k: v for k, v in b_snap.items() if k != "timestamp"}
    assert any(isinstance(e, TradeExecuted) for e in a_events)
    assert any(isinstance(e, OrderCancelled) for e in a_events)
    assert any(isinstance(e, OrderAccepted) for e in a_events)
