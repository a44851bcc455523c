"""Every order type x side against a prepared book, with invariants after each step."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine import MatchingEngine, Order, OrderBook
from tests.conftest import check_all

SYM = "BTC-USDT"
OTHER = {"buy": "sell", "sell": "buy"}


def seed_book(engine: MatchingEngine) -> dict[str, list[int]]:
    """Asks 30001, 30002 (two orders), 30003; bids 29999, 29998 (two orders), 29997; 0.1 each."""
    ids: dict[str, list[int]] = {"buy": [], "sell": []}
    for side, prices in (("sell", ["30001", "30002", "30002", "30003"]), ("buy", ["29999", "29998", "29998", "29997"])):
        for p in prices:
            r = engine.submit_order(SYM, side, "limit", "0.1", p)
            assert r["status"] == "pending", r
            ids[side].append(r["order_id"])
    check_all(engine)
    return ids


def far(side: str) -> str:
    """A limit price that crosses the whole opposite side."""
    return "40000" if side == "buy" else "20000"


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_best_prices_and_depth_order(engine: MatchingEngine, side: str) -> None:
    seed_book(engine)
    snap = engine.get_book_snapshot(SYM, 10)
    assert [p for p, _ in snap["bids"]] == ["29999.00", "29998.00", "29997.00"]
    assert [p for p, _ in snap["asks"]] == ["30001.00", "30002.00", "30003.00"]
    assert snap["bids"][1][1] == "0.20000000"
    bbo = engine.get_bbo(SYM)
    assert (bbo["bid"], bbo["ask"], bbo["spread"], bbo["mid"]) == ("29999.00", "30001.00", "2.00", "30000.00")


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_limit_takes_best_price_first_then_rests(engine: MatchingEngine, side: str) -> None:
    ids = seed_book(engine)
    price = "30002" if side == "buy" else "29998"
    r = engine.submit_order(SYM, side, "limit", "0.35", price)
    check_all(engine)
    # best level, then the two orders of the second level oldest first, at the makers' prices
    makers = ids[OTHER[side]]
    assert [t["maker_order_id"] for t in r["trades"]] == makers[:3]
    assert [t["price"] for t in r["trades"]] == ([f"{p}.00" for p in ("30001", "30002", "30002")] if side == "buy"
                                                  else [f"{p}.00" for p in ("29999", "29998", "29998")])
    assert r["status"] == "partially_filled"
    assert r["filled_quantity"] == "0.30000000" and r["remaining_quantity"] == "0.05000000"
    bbo = engine.get_bbo(SYM)
    if side == "buy":
        assert bbo["bid"] == "30002.00" and bbo["ask"] == "30003.00"
    else:
        assert bbo["ask"] == "29998.00" and bbo["bid"] == "29997.00"


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_limit_not_crossing_rests(engine: MatchingEngine, side: str) -> None:
    seed_book(engine)
    price = "30000" if side == "buy" else "30000.5"
    r = engine.submit_order(SYM, side, "limit", "0.1", price)
    assert r["status"] == "pending" and r["trades"] == []
    check_all(engine)


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_market_sweeps_and_cancels_rest(engine: MatchingEngine, side: str) -> None:
    seed_book(engine)
    r = engine.submit_order(SYM, side, "market", "0.15")
    assert r["status"] == "filled" and len(r["trades"]) == 2
    assert r["trades"][0]["price"] == ("30001.00" if side == "buy" else "29999.00")
    r = engine.submit_order(SYM, side, "market", "1")
    check_all(engine)
    assert r["status"] == "cancelled"
    assert r["filled_quantity"] == "0.25000000" and r["remaining_quantity"] == "0.75000000"
    snap = engine.get_book_snapshot(SYM)
    assert snap["asks" if side == "buy" else "bids"] == []
    assert engine.get_order_status(SYM, r["order_id"])["status"] == "cancelled"


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_market_on_empty_side(engine: MatchingEngine, side: str) -> None:
    r = engine.submit_order(SYM, side, "market", "1")
    assert r["status"] == "cancelled" and r["filled_quantity"] == "0.00000000"


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_ioc_never_rests(engine: MatchingEngine, side: str) -> None:
    seed_book(engine)
    price = "30001" if side == "buy" else "29999"
    r = engine.submit_order(SYM, side, "ioc", "0.3", price)
    check_all(engine)
    assert r["status"] == "cancelled" and r["filled_quantity"] == "0.10000000"
    snap = engine.get_book_snapshot(SYM)
    own = snap["bids" if side == "buy" else "asks"]
    assert own[0][0] == ("29999.00" if side == "buy" else "30001.00")  # nothing rested at the IOC price
    r = engine.submit_order(SYM, side, "ioc", "0.1", far(side))
    assert r["status"] == "filled"


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_fok_all_or_nothing(engine: MatchingEngine, side: str) -> None:
    seed_book(engine)
    before = engine.get_book_snapshot(SYM)
    price = "30002" if side == "buy" else "29998"
    r = engine.submit_order(SYM, side, "fok", "0.31", price)  # only 0.3 within the limit
    assert r["status"] == "rejected" and r["trades"] == [] and r["reject_reason"] == "FOK_NOT_FILLABLE"
    after = engine.get_book_snapshot(SYM)
    assert (after["bids"], after["asks"]) == (before["bids"], before["asks"])
    r = engine.submit_order(SYM, side, "fok", "0.3", price)
    check_all(engine)
    assert r["status"] == "filled" and len(r["trades"]) == 3
    assert engine.get_order_status(SYM, r["order_id"])["status"] == "filled"


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_post_only(engine: MatchingEngine, side: str) -> None:
    seed_book(engine)
    r = engine.submit_order(SYM, side, "limit", "0.1", far(side), post_only=True)
    assert r["status"] == "rejected" and r["reject_reason"] == "POST_ONLY_WOULD_TAKE"
    r = engine.submit_order(SYM, side, "limit", "0.1", "30000", post_only=True)
    assert r["status"] == "pending"
    r = engine.submit_order(SYM, side, "market", "0.1", post_only=True)
    assert r["reason"] == "POST_ONLY_NOT_LIMIT"
    check_all(engine)


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_cancel_and_history(engine: MatchingEngine, side: str) -> None:
    ids = seed_book(engine)
    oid = ids[side][1]
    r = engine.cancel_order(SYM, oid)
    assert r["success"] is True and r["status"] == "cancelled"
    check_all(engine)
    again = engine.cancel_order(SYM, oid)
    assert again["success"] is False and again["status"] == "cancelled"
    assert engine.cancel_order(SYM, 999_999)["success"] is False
    assert engine.get_order_status(SYM, oid)["status"] == "cancelled"
    assert engine.get_order_status(None, str(oid))["status"] == "cancelled"


def test_cancel_by_client_order_id_and_duplicates(engine: MatchingEngine) -> None:
    r = engine.submit_order(SYM, "buy", "limit", "0.1", "29000", "abc")
    dup = engine.submit_order(SYM, "buy", "limit", "0.1", "29000", "abc")
    assert dup["error_code"] == "DUPLICATE_CLIENT_ORDER_ID"
    # another symbol may reuse it
    assert engine.submit_order("ETH-USDT", "buy", "limit", "1", "2000", "abc")["status"] == "pending"
    c = engine.cancel_order(SYM, client_order_id="abc")
    assert c["success"] and c["order_id"] == r["order_id"]
    # a finished order frees its client id
    assert engine.submit_order(SYM, "buy", "limit", "0.1", "29000", "abc")["status"] == "pending"
    check_all(engine)


def test_maker_fill_partial_then_full_keeps_priority(engine: MatchingEngine) -> None:
    a = engine.submit_order(SYM, "sell", "limit", "0.3", "30000")["order_id"]
    b = engine.submit_order(SYM, "sell", "limit", "0.3", "30000")["order_id"]
    r1 = engine.submit_order(SYM, "buy", "limit", "0.1", "30000")
    assert r1["trades"][0]["maker_order_id"] == a
    assert engine.get_order_status(SYM, a)["status"] == "partially_filled"
    r2 = engine.submit_order(SYM, "buy", "limit", "0.3", "30000")
    assert [(t["maker_order_id"], t["quantity"]) for t in r2["trades"]] == [(a, "0.20000000"), (b, "0.10000000")]
    assert engine.get_order_status(SYM, a)["status"] == "filled"
    check_all(engine)


def test_fees_are_exact(engine: MatchingEngine) -> None:
    engine.submit_order(SYM, "sell", "limit", "0.00034", "30000.01")
    r = engine.submit_order(SYM, "buy", "market", "0.00034")
    t = r["trades"][0]
    value = Decimal("30000.01") * Decimal("0.00034")
    assert Decimal(t["trade_value"]) == value
    assert Decimal(t["maker_fee"]) == value * Decimal("0.001") == Decimal(r["total_taker_fees"])


def test_forex_preset() -> None:
    from engine.matcher import create_forex_engine
    fx = create_forex_engine()
    assert fx.symbols == ["EUR-USD", "GBP-USD", "USD-JPY"]
    assert fx.submit_order("EUR-USD", "buy", "limit", "1000", "1.08501")["status"] == "pending"
    assert fx.submit_order("EUR-USD", "buy", "limit", "1000", "1.085015")["reason"] == "PRICE_NOT_ON_TICK"
    assert fx.submit_order("EUR-USD", "buy", "limit", "999", "1.08501")["reason"] == "QUANTITY_BELOW_MIN"
    r = fx.submit_order("EUR-USD", "sell", "market", "1000")
    assert Decimal(r["trades"][0]["taker_fee"]) == Decimal("1085.01") * Decimal("0.0001")


def test_order_book_core_api_directly() -> None:
    book = OrderBook("X")
    for i, (side, price, lots) in enumerate([("sell", 101, 5), ("sell", 102, 5), ("buy", 99, 5)], start=1):
        book.rest(Order(i, "X", side, "limit", price, lots))
    fills: list = []
    remaining = book.match("buy", 101, 7, fills)
    assert [(m.order_id, lots) for m, lots in fills] == [(1, 5)] and remaining == 2
    assert book.best_ask() == 102 and book.best_bid() == 99
    assert book.cancel(3).status == "cancelled" and book.best_bid() is None
    book.check_invariants()


def test_orders_at_one_level_share_its_price_object() -> None:
    """Memory: a level's orders hold one price int between them, however each caller built its own."""
    book = OrderBook(SYM)
    for i, side in enumerate(("buy", "buy", "sell", "sell")):
        price = int("3000000") + (0 if side == "buy" else 10)  # a new int object each time
        order = Order(i + 1, SYM, side, "limit", price, 5)
        book.rest(order)
    for side, price in (("buy", 3_000_000), ("sell", 3_000_010)):
        first, second = book.orders_at(side, price)
        assert first.price_ticks == second.price_ticks == price
        assert first.price_ticks is second.price_ticks
    book.check_invariants()
