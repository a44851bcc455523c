"""The checks must catch what they promise, and exact numbers must stay exact.

The first half corrupts a market on purpose (reaching into private attributes is the
point here, and only here) and expects ``check_invariants()`` to refuse it.  The
second half sends numbers that naive Decimal arithmetic (28 digits) or a careless
parser would get wrong, and expects the exact answer: a refusal that leaves the engine
unchanged, or the price exactly as written.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from heapq import heappush

import pytest

from engine import BUY, LIMIT, SELL, MatchingEngine, Order, Status
from engine.market import Market

SYM = "BTC-USDT"


def prepared(engine: MatchingEngine) -> Market:
    """Asks 30002 (two orders) and 30003, bids 29999 (client id "live") and 29998, a cancelled order
    that had client id "done", and a market order that filled the 30001 ask: every invariant holds."""
    for price in ("30001", "30002", "30002", "30003"):
        assert engine.submit_order(SYM, "sell", "limit", "0.1", price)["status"] == "pending"
    assert engine.submit_order(SYM, "buy", "limit", "0.1", "29999", "live")["status"] == "pending"
    assert engine.submit_order(SYM, "buy", "limit", "0.1", "29998")["status"] == "pending"
    done = engine.submit_order(SYM, "buy", "limit", "0.1", "29000", "done")["order_id"]
    assert engine.cancel_order(SYM, done)["success"] is True
    assert engine.submit_order(SYM, "buy", "market", "0.1")["status"] == "filled"  # fills the 30001 ask
    market = engine.market(SYM)
    assert market is not None
    return market


def _live(market: Market) -> Order:
    return market.client_ids["live"]


def _finished(market: Market) -> Order:
    return next(o for o in market.history.values() if o.client_order_id == "done")


def level_total_off_by_one(m: Market) -> None:
    m.book._asks[m.book.best_ask()][0] += 1  # type: ignore[index]


def order_missing_from_id_index(m: Market) -> None:
    del m.book._orders[_live(m).order_id]


def crossed_book(m: Market) -> None:
    m.book.rest(Order(10_000, SYM, BUY, LIMIT, m.book.best_ask(), 100_000))  # rest() does not match


def client_id_points_at_finished_order(m: Market) -> None:
    m.client_ids["live"] = _finished(m)


def client_id_missing_for_live_order(m: Market) -> None:
    del m.client_ids["live"]


def heap_top_not_best_level(m: Market) -> None:
    heap = m.book._ask_heap
    heap[0], heap[-1] = heap[-1], heap[0]  # a live but worse level on top


def stale_heap_entry_better_than_best(m: Market) -> None:
    heappush(m.book._bid_heap, -(m.book.best_bid() + 1))  # type: ignore[operator]


def empty_level(m: Market) -> None:
    m.book._bids[2_000_000] = [0]
    heappush(m.book._bid_heap, -2_000_000)


def fifo_broken(m: Market) -> None:
    level = m.book._asks[3_000_200]
    level[1:] = level[:0:-1]


def finished_order_resting(m: Market) -> None:
    next(iter(m.book._bids.values()))[1].status = Status.FILLED


def history_over_its_limit(m: Market) -> None:
    m.history_limit = len(m.history) - 1


def history_holds_live_order(m: Market) -> None:
    m.history[_live(m).order_id] = _live(m)


CORRUPTIONS: list[tuple[Callable[[Market], None], str]] = [  # (corruption, what the message names)
    (level_total_off_by_one, "total"),
    (order_missing_from_id_index, "index"),
    (crossed_book, "crossed"),
    (client_id_points_at_finished_order, "client id"),
    (client_id_missing_for_live_order, "client-id index"),
    (heap_top_not_best_level, "heap top"),
    (stale_heap_entry_better_than_best, "heap top"),
    (empty_level, "empty"),
    (fifo_broken, "FIFO"),
    (finished_order_resting, "finished order"),
    (history_over_its_limit, "history"),
    (history_holds_live_order, "history holds live"),
]


def test_prepared_market_is_consistent(engine: MatchingEngine) -> None:
    market = prepared(engine)
    engine.check_invariants()
    # what the corruptions rely on
    assert len(market.book._ask_heap) >= 2 and len(market.book.orders_at(SELL, 3_000_200)) == 2
    assert market.history and _finished(market).status == "cancelled" and _live(market).status == "pending"


@pytest.mark.parametrize("corrupt, names", CORRUPTIONS, ids=[c.__name__ for c, _ in CORRUPTIONS])
def test_check_invariants_catches(engine: MatchingEngine, corrupt: Callable[[Market], None], names: str) -> None:
    market = prepared(engine)
    corrupt(market)
    with pytest.raises(AssertionError, match=names):
        engine.check_invariants()
    with pytest.raises(AssertionError, match=names):  # the market's own check says the same
        market.check_invariants()


# ---- exact numbers at the boundary ---------------------------------------------

ON_TICK_64 = "30000." + "0" * 58  # 64 characters: the longest text accepted
ON_TICK_65 = ON_TICK_64 + "0"
REFUSED = [  # (field, value, reason)
    ("price", "30000.0000000000000000000000001", "PRICE_NOT_ON_TICK"),  # 30 significant digits
    ("price", Decimal("30000.0000000000000000000000001"), "PRICE_NOT_ON_TICK"),
    ("price", "3.00000000000000000000000000001e4", "PRICE_NOT_ON_TICK"),
    ("price", Decimal("3.00000000000000000000000000001e4"), "PRICE_NOT_ON_TICK"),
    ("price", ON_TICK_64[:-1] + "1", "PRICE_NOT_ON_TICK"),  # 64 characters, the last one off the tick
    ("quantity", "0.100000000000000000000000000001", "QUANTITY_NOT_ON_STEP"),
    ("quantity", Decimal("0.100000000000000000000000000001"), "QUANTITY_NOT_ON_STEP"),
    ("price", ON_TICK_65, "INVALID_NUMBER"),  # on the tick, but one character too long
    ("price", "30000." + "0" * 200, "INVALID_NUMBER"),
    ("price", Decimal("30000." + "0" * 70), "INVALID_NUMBER"),
    ("quantity", "0." + "0" * 62 + "1", "INVALID_NUMBER"),
    ("price", "1e999999", "INVALID_NUMBER"),
]
ACCEPTED = [  # (price, as the engine shows it)
    ("3e4", "30000.00"),
    (Decimal("3e4"), "30000.00"),
    ("3.0000000000000000000000000000000E+4", "30000.00"),
    ("30000.000000000000000000000000000", "30000.00"),
    (ON_TICK_64, "30000.00"),
    (Decimal("30000.0000000000000000000000000"), "30000.00"),
]


@pytest.mark.parametrize("field, value, reason", REFUSED,
                         ids=[f"{f}-{type(v).__name__}-{str(v)[:32]}" for f, v, _ in REFUSED])
def test_exact_numbers_refused_and_nothing_changes(engine: MatchingEngine, field: str, value: object,
                                                   reason: str) -> None:
    prepared(engine)
    before = engine.snapshot()
    price, quantity = (value, "0.1") if field == "price" else ("30000", value)
    r = engine.submit_order(SYM, "sell", "limit", quantity, price)  # type: ignore[arg-type]
    assert r.get("reason") == reason, r
    assert engine.snapshot() == before
    engine.check_invariants()


@pytest.mark.parametrize("price, shown", ACCEPTED, ids=[f"{type(p).__name__}-{str(p)[:32]}" for p, _ in ACCEPTED])
def test_exact_numbers_accepted_on_the_tick(engine: MatchingEngine, price: object, shown: str) -> None:
    prepared(engine)
    r = engine.submit_order(SYM, "sell", "limit", "0.1", price)  # type: ignore[arg-type]
    assert r["status"] == "pending" and r["price"] == shown, r
    assert engine.get_book_snapshot(SYM, 1)["asks"] == [[shown, "0.10000000"]]
    engine.check_invariants()


def test_leading_zeros_do_not_change_the_answer(engine: MatchingEngine) -> None:
    spellings: list[object] = ["0" * 20 + "30000", "+" + "0" * 20 + "30000", "0" * 20 + "3e4",
                               Decimal("0" * 20 + "30000")]
    prices = [engine.submit_order(SYM, "sell", "limit", "0.1", p).get("price") for p in spellings]  # type: ignore[arg-type]
    assert prices == ["30000.00"] * len(spellings)
