"""Self-trade prevention: each mode x order type x side, against a book with the account's own order
between two other accounts' orders at the same price."""
from __future__ import annotations

import pytest

from engine.commands import Cancel, CreateAccount, Deposit, SetSelfTradePrevention, Submit
from engine.errors import ResultCode
from engine.events import OrderCancelled
from engine.matcher import MatchingEngine, create_crypto_engine
from engine.order import BUY, FOK, IOC, LIMIT, MARKET, SELL
from engine.sequencing import IdSource
from tests.conftest import StepClock

SYM = "BTC-USDT"
P, LOT = 3_000_000, 1_000_000  # 30000.00, 0.01


def funded(engine: MatchingEngine, name: str) -> int:
    account_id = engine.execute(CreateAccount(name)).command.account_id
    for asset, places in engine.accounts.decimals.items():
        engine.execute(Deposit(account_id, asset, 10 ** (places + 6)))
    return account_id


def setup(side):  # type: ignore[no-untyped-def]
    """Makers on the side ``side`` takes from: other x @P, own @P, other y @P, other z one tick worse."""
    engine = create_crypto_engine(ids=IdSource(), clock=StepClock())
    me, x, y, z = (funded(engine, n) for n in ("me", "x", "y", "z"))
    maker_side = SELL if side is BUY else BUY
    worse = P + 100 if side is BUY else P - 100
    ids = {}
    for name, who, price in (("x", x, P), ("own", me, P), ("y", y, P), ("z", z, worse)):
        result = engine.execute(Submit(SYM, maker_side, LIMIT, price, LOT, account=who, client_order_id=name))
        assert result.code is ResultCode.OK and result.order.is_live
        ids[name] = result.order.order_id
    return engine, me, ids, worse


# mode -> (makers traded with, own maker cancelled, taker's rest cancelled by prevention) for 3 lots
EXPECTED = {
    "none": (["x", "own", "y"], False, False),
    "cancel_taker": (["x"], False, True),
    "cancel_maker": (["x", "y", "z"], True, False),
    "cancel_both": (["x"], True, True),
}


@pytest.mark.parametrize("side", [BUY, SELL], ids=["buy", "sell"])
@pytest.mark.parametrize("order_type", [LIMIT, IOC, FOK, MARKET])
@pytest.mark.parametrize("mode", list(EXPECTED))
def test_each_mode_type_and_side(side, order_type, mode) -> None:  # type: ignore[no-untyped-def]
    engine, me, ids, worse = setup(side)
    names = {v: k for k, v in ids.items()}
    before = engine.snapshot()
    price = None if order_type is MARKET else worse
    result = engine.execute(Submit(SYM, side, order_type, price, 3 * LOT, account=me, stp=mode))
    traded, own_cancelled, stopped = EXPECTED[mode]
    if order_type is FOK and stopped:  # cannot fill completely without trading with itself: rejected, untouched
        assert result.code is ResultCode.FOK_NOT_FILLABLE and result.status == "rejected"
        assert not result.trades
        after = engine.snapshot()
        for state in (before, after):
            state["markets"][SYM].pop("history")
            state["markets"][SYM].pop("sequence")
            state["markets"][SYM].pop("stats")
            state.pop("next_order_id")
        assert after == before  # no order or balance touched (the rejection itself is recorded)
        engine.check_invariants()
        return
    assert result.code is ResultCode.OK
    assert [names[t.maker_order_id] for t in result.trades] == traded
    own = engine.get_order_book(SYM).get_order(ids["own"])
    assert (own is None) == (own_cancelled or "own" in traded)
    assert [m.order_id for m, _ in result.prevented] == ([ids["own"]] if own_cancelled else [])
    assert result.stopped == stopped
    if stopped:
        assert result.status == "cancelled" and engine.get_order_book(SYM).get_order(result.order.order_id) is None
    # the REST answers of the orders prevention cancelled say why; the others carry no such reason
    for oid, prevented in ((ids["own"], own_cancelled), (result.order.order_id, stopped)):
        assert engine.get_order_status(SYM, oid, account=me).get("cancel_reason") == \
            ("SELF_TRADE_PREVENTED" if prevented else None)
    cancels = [e for e in result.events if isinstance(e, OrderCancelled) and e.reason == "SELF_TRADE_PREVENTED"]
    assert sorted(e.order_id for e in cancels) == sorted(
        ([ids["own"]] if own_cancelled else []) + ([result.order.order_id] if stopped else []))
    sequences = [e.sequence for e in result.events]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
    assert engine.get_order_book(SYM).sequence == sequences[-1]
    assert all(t.maker_account != t.taker_account for t in result.trades) or mode == "none"
    engine.check_invariants()


def test_cancel_taker_is_the_default_and_an_account_can_change_it() -> None:
    engine, me, ids, worse = setup(BUY)
    first = engine.execute(Submit(SYM, BUY, LIMIT, worse, 3 * LOT, account=me))
    assert first.stopped and [t.maker_order_id for t in first.trades] == [ids["x"]]
    assert engine.execute(SetSelfTradePrevention(me, "cancel_maker")).code is ResultCode.OK
    second = engine.execute(Submit(SYM, BUY, LIMIT, worse, 2 * LOT, account=me))
    assert [m.order_id for m, _ in second.prevented] == [ids["own"]]
    assert engine.execute(SetSelfTradePrevention(me, "sometimes")).code is ResultCode.INVALID_SELF_TRADE_PREVENTION
    assert engine.execute(Submit(SYM, BUY, LIMIT, worse, LOT, account=me, stp="bogus")).code \
        is ResultCode.INVALID_SELF_TRADE_PREVENTION
    engine.check_invariants()


def test_an_own_order_between_two_levels_of_others_on_both_sides() -> None:
    """Own orders on both sides of the book: a sweep through the asks meets only the own ask, never its own bid."""
    engine = create_crypto_engine(ids=IdSource(), clock=StepClock())
    me, other = funded(engine, "me"), funded(engine, "other")
    engine.execute(Submit(SYM, BUY, LIMIT, P - 500, LOT, account=me))  # own bid, below
    for who, price in ((other, P), (me, P + 100), (other, P + 200)):
        engine.execute(Submit(SYM, SELL, LIMIT, price, LOT, account=who))
    result = engine.execute(Submit(SYM, BUY, LIMIT, P + 200, 3 * LOT, account=me, stp="cancel_maker"))
    assert [t.price_ticks for t in result.trades] == [P, P + 200]
    assert len(result.prevented) == 1 and result.prevented[0][0].price_ticks == P + 100
    assert result.status == "partially_filled" and result.remaining_lots == LOT  # rests at P+200
    book = engine.get_order_book(SYM)
    assert book.best_bid() == P + 200 and book.best_ask() is None
    assert engine.execute(Cancel(SYM, result.order.order_id, account=me)).code is ResultCode.OK
    engine.check_invariants()


def test_modes_are_journaled_and_replay_exactly() -> None:
    from api.storage.records import decode, encode

    recorded = []

    class Journal:
        failed = False

        def record(self, command, events) -> None:  # type: ignore[no-untyped-def]
            recorded.append(command)

    engine = create_crypto_engine(ids=IdSource(), clock=StepClock(), journal=Journal())
    me, other = funded(engine, "me"), funded(engine, "other")
    engine.execute(SetSelfTradePrevention(me, "cancel_both"))
    engine.execute(Submit(SYM, SELL, LIMIT, P, LOT, account=other))
    engine.execute(Submit(SYM, SELL, LIMIT, P, LOT, account=me))
    engine.execute(Submit(SYM, BUY, LIMIT, P, 3 * LOT, account=me, stp="cancel_maker"))
    engine.execute(Submit(SYM, SELL, LIMIT, P, LOT, account=me))
    engine.execute(Submit(SYM, BUY, MARKET, None, 2 * LOT, account=me))  # the account's default: cancel_both
    index = {s: i for i, s in enumerate(engine.symbols)}
    replay = create_crypto_engine(ids=IdSource(), clock=lambda: 1 / 0)
    for command in recorded:
        again = decode(encode(command, index), engine.symbols)
        assert again == command
        assert replay.execute(again).code in (ResultCode.OK,)
    assert replay.snapshot() == engine.snapshot()
    replay.check_invariants()


def test_a_restore_that_keeps_fewer_finished_orders_drops_their_reasons() -> None:
    """Reasons belong to finished orders in the history: an engine keeping fewer of them keeps fewer reasons."""
    engine, me, ids, worse = setup(BUY)
    stopped = engine.execute(Submit(SYM, BUY, LIMIT, worse, 3 * LOT, account=me))  # cancelled by prevention
    assert stopped.stopped
    for _ in range(3):  # three more finished orders, newer than the prevented one
        assert engine.execute(Submit(SYM, BUY, IOC, P - 500, LOT, account=me)).status.value == "cancelled"
    state = engine.snapshot()
    assert any(oid == stopped.order.order_id for oid, _ in state["markets"][SYM]["reasons"])
    smaller = create_crypto_engine(history_limit=2)
    smaller.restore(state)
    smaller.check_invariants()  # no reason left for an order the smaller history no longer holds
    assert smaller.market(SYM).reasons == {}
