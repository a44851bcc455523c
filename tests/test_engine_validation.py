"""Bad input is refused with a stable code and changes nothing."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine import MatchingEngine
from tests.conftest import check_all

SYM = "BTC-USDT"


def state(engine: MatchingEngine) -> tuple:
    snaps = [engine.get_book_snapshot(s, 100) for s in engine.symbols]
    return tuple((s["bids"], s["asks"], s["sequence"]) for s in snaps), engine.ids.next_order_id


BAD_NUMBERS = [
    "NaN", "nan", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1e999", "1e999999999", "1E+30",
    "", " ", "abc", "1,5", "1_000", " 1", "0x10", "１", "²", None, True, False, 1.5, [], {}, object(),
    Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), 10**40,
]


@pytest.fixture
def seeded(engine: MatchingEngine) -> MatchingEngine:
    engine.submit_order(SYM, "buy", "limit", "0.1", "29000")
    engine.submit_order(SYM, "sell", "limit", "0.1", "31000")
    return engine


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
@pytest.mark.parametrize("field", ["quantity", "price"])
def test_bad_numbers(seeded: MatchingEngine, field: str, value: object) -> None:
    before = state(seeded)
    kwargs = {"quantity": "0.1", "price": "30000"}
    kwargs[field] = value  # type: ignore[assignment]
    r = seeded.submit_order(SYM, "buy", "limit", **kwargs)  # type: ignore[arg-type]
    assert r.get("error_code") == "VALIDATION_ERROR", r
    assert r["reason"] in ("INVALID_NUMBER", "PRICE_REQUIRED", "QUANTITY_ABOVE_MAX", "QUANTITY_NOT_ON_STEP",
                           "PRICE_NOT_ON_TICK"), r
    assert isinstance(r["error"], str) and len(r["error"]) > 10
    assert state(seeded) == before
    check_all(seeded)


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        (dict(price="30000.001"), "PRICE_NOT_ON_TICK"),
        (dict(price="30000.015"), "PRICE_NOT_ON_TICK"),
        (dict(quantity="0.000000001"), "QUANTITY_NOT_ON_STEP"),
        (dict(quantity="0.000001"), "QUANTITY_BELOW_MIN"),
        (dict(quantity="0"), "QUANTITY_BELOW_MIN"),
        (dict(quantity="-0"), "QUANTITY_BELOW_MIN"),
        (dict(quantity="-1"), "QUANTITY_BELOW_MIN"),
        (dict(quantity="1000000.00000001"), "QUANTITY_ABOVE_MAX"),
        (dict(quantity="0.0001", price="30000"), "NOTIONAL_BELOW_MIN"),
        (dict(price="0"), "PRICE_NOT_POSITIVE"),
        (dict(price="-0"), "PRICE_NOT_POSITIVE"),
        (dict(price="-5"), "PRICE_NOT_POSITIVE"),
        (dict(price=None), "PRICE_REQUIRED"),
        (dict(order_type="ioc", price=None), "PRICE_REQUIRED"),
        (dict(order_type="fok", price=None), "PRICE_REQUIRED"),
        (dict(order_type="market"), "PRICE_NOT_ALLOWED"),
        (dict(side="hold"), "INVALID_SIDE"),
        (dict(side=1), "INVALID_SIDE"),
        (dict(side=None), "INVALID_SIDE"),
        (dict(order_type="stop"), "INVALID_ORDER_TYPE"),
        (dict(order_type=None), "INVALID_ORDER_TYPE"),
        (dict(client_order_id=""), "INVALID_CLIENT_ORDER_ID"),
        (dict(client_order_id="x" * 65), "INVALID_CLIENT_ORDER_ID"),
        (dict(client_order_id=123), "INVALID_CLIENT_ORDER_ID"),
        (dict(client_order_id="a\nb"), "INVALID_CLIENT_ORDER_ID"),
        (dict(post_only="yes"), "INVALID_POST_ONLY"),
        (dict(symbol=5), "INVALID_SYMBOL"),
        (dict(symbol=None), "INVALID_SYMBOL"),
    ],
)
def test_rule_violations(seeded: MatchingEngine, kwargs: dict, reason: str) -> None:
    before = state(seeded)
    args = dict(symbol=SYM, side="buy", order_type="limit", quantity="0.1", price="30000")
    args.update(kwargs)
    post_only = args.pop("post_only", False)
    r = seeded.submit_order(**args, post_only=post_only)  # type: ignore[arg-type]
    assert r.get("reason") == reason, r
    assert r["error_code"] == "VALIDATION_ERROR"
    assert state(seeded) == before


@pytest.mark.parametrize("symbol", ["<script>alert(1)</script>", "btc-usdt", "", "XYZ", "BTC-USDT "])
def test_unknown_symbols_create_nothing(seeded: MatchingEngine, symbol: str) -> None:
    before = list(seeded.symbols)
    assert seeded.submit_order(symbol, "buy", "limit", "1", "1")["error_code"] == "SYMBOL_NOT_FOUND"
    assert seeded.get_book_snapshot(symbol)["error_code"] == "SYMBOL_NOT_FOUND"
    assert seeded.get_bbo(symbol)["error_code"] == "SYMBOL_NOT_FOUND"
    assert seeded.get_statistics(symbol)["error_code"] == "SYMBOL_NOT_FOUND"
    assert seeded.cancel_order(symbol, 1)["success"] is False
    assert seeded.get_order_book(symbol) is None
    assert seeded.symbols == before


def test_accepted_number_forms(engine: MatchingEngine) -> None:
    for q in ("0.1", "0.10000000", "1e-1", Decimal("0.1"), "+0.1", ".1" if False else "0.1"):
        r = engine.submit_order(SYM, "buy", "limit", q, "29000")
        assert r["quantity"] == "0.10000000", (q, r)
    assert engine.submit_order(SYM, "buy", "limit", 1, 29000)["price"] == "29000.00"
    assert engine.submit_order(SYM, "buy", "limit", str(0.1), str(29000.5))["price"] == "29000.50"
    assert engine.submit_order(SYM, "BUY", "LIMIT", "0.1", "29000")["side"] == "buy"
    check_all(engine)


def test_number_memos_stay_bounded(engine: MatchingEngine) -> None:
    """The parse and format memos are capped (a drifting market brings new prices forever) at well under
    a megabyte each, and an entry computed again after the cap cleared them gives the same answer."""
    import sys

    from engine.numeric import _CACHE_LIMIT

    config = engine.get_symbol_config(SYM)
    scale = config.price_scale
    memos = (scale.text, scale.price_counts)
    distinct = 20_000
    first = None
    for i in range(distinct):  # far below the book's asks: nothing trades, every price is new
        r = engine.submit_order(SYM, "buy", "limit", "0.001", f"{10000 + i / 100:.2f}")
        assert r["status"] == "pending", r
        if first is None:
            first = r
            status = engine.get_order_status(SYM, r["order_id"])
        assert all(len(m) <= _CACHE_LIMIT for m in memos), [len(m) for m in memos]
    assert max(len(m) for m in memos) < distinct  # cleared at least once, never grown past the cap
    for memo in memos:
        held = sys.getsizeof(memo) + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in memo.items())
        assert held < 1 << 20, f"a number memo holds {held:,} bytes"
    assert "10000.00" not in scale.price_counts  # the first price has been forgotten: computed again below
    assert engine.get_order_status(SYM, first["order_id"]) == status and first["price"] == "10000.00"
    assert engine.submit_order(SYM, "buy", "limit", "0.001", "10000.00")["price"] == "10000.00"
    check_all(engine)
