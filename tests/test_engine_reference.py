"""One suite, two implementations: the engine and the naive reference book answer the same scenarios.

Each scenario speaks to a :class:`Venue` (strings in, decimals out) and asserts the
outcomes it expects; every one runs against the engine (through ``submit_order`` /
``cancel_order``, with ``check_invariants()`` after each command) and against the
reference.  A seeded random stream then compares the two step by step.
"""
from __future__ import annotations

import random
from decimal import Decimal
from typing import NamedTuple, Protocol

import pytest

from engine import MatchingEngine
from tests.reference_book import ReferenceBook, RefRules

SYM = "BTC-USDT"
# The preset's rules, written out independently (see test_reference_rules_are_the_presets).
RULES = RefRules(tick=Decimal("0.01"), step=Decimal("0.00000001"), min_qty=Decimal("0.00001"),
                 max_qty=Decimal("1000000"), min_notional=Decimal("10"))
OTHER = {"buy": "sell", "sell": "buy"}
D = Decimal


class Outcome(NamedTuple):
    code: str  # the order's status, or the reason it was refused (order_id None) or rejected
    order_id: int | None
    trades: list[tuple[Decimal, Decimal, int]]  # (price, quantity, maker order id)
    remaining: Decimal | None


class Venue(Protocol):
    def submit(self, side: str, order_type: str, qty: str, price: str | None = None, coid: str | None = None,
               post_only: bool = False) -> Outcome: ...

    def cancel(self, order_id: int | None = None, client_order_id: str | None = None) -> str: ...

    def depth(self, side: str, n: int = 1000) -> list[tuple[Decimal, Decimal]]: ...

    def status(self, order_id: int) -> tuple[str, Decimal]: ...


class EngineVenue:
    """The engine through its string wrappers; checks every invariant after each command."""

    def __init__(self, engine: MatchingEngine) -> None:
        self.engine = engine

    def submit(self, side: str, order_type: str, qty: str, price: str | None = None, coid: str | None = None,
               post_only: bool = False) -> Outcome:
        r = self.engine.submit_order(SYM, side, order_type, qty, price, coid, post_only=post_only)
        self.engine.check_invariants()
        if "error" in r:
            return Outcome(r["reason"], None, [], None)
        code = r["reject_reason"] if r["status"] == "rejected" else str(r["status"])
        trades = [(D(t["price"]), D(t["quantity"]), t["maker_order_id"]) for t in r["trades"]]
        return Outcome(code, r["order_id"], trades, D(r["remaining_quantity"]))

    def cancel(self, order_id: int | None = None, client_order_id: str | None = None) -> str:
        r = self.engine.cancel_order(SYM, order_id, client_order_id)
        self.engine.check_invariants()
        return str(r["status"]) if r["success"] else r["reason"]

    def depth(self, side: str, n: int = 1000) -> list[tuple[Decimal, Decimal]]:
        snap = self.engine.get_book_snapshot(SYM, n)
        return [(D(p), D(q)) for p, q in snap["bids" if side == "buy" else "asks"]]

    def status(self, order_id: int) -> tuple[str, Decimal]:
        r = self.engine.get_order_status(SYM, order_id)
        return str(r["status"]), D(r["remaining_quantity"])


class ReferenceVenue:
    """The naive reference book with the preset's rules."""

    def __init__(self) -> None:
        self.book = ReferenceBook(RULES)

    def submit(self, side: str, order_type: str, qty: str, price: str | None = None, coid: str | None = None,
               post_only: bool = False) -> Outcome:
        out = self.book.place(side, order_type, D(qty), None if price is None else D(price), coid, post_only)
        return Outcome(out.code, out.order_id, [(t.price, t.quantity, t.maker_order_id) for t in out.trades],
                       out.remaining)

    def cancel(self, order_id: int | None = None, client_order_id: str | None = None) -> str:
        return self.book.cancel_order(order_id, client_order_id)

    def depth(self, side: str, n: int = 1000) -> list[tuple[Decimal, Decimal]]:
        return [(p, q) for p, q in self.book.depth(side, n)]

    def status(self, order_id: int) -> tuple[str, Decimal]:
        order = self.book.orders[order_id]
        return order.status, order.remaining


@pytest.fixture(params=["engine", "reference"])
def venue(request: pytest.FixtureRequest, engine: MatchingEngine) -> Venue:
    return EngineVenue(engine) if request.param == "engine" else ReferenceVenue()


def test_reference_rules_are_the_presets(engine: MatchingEngine) -> None:
    config = engine.get_symbol_config(SYM)
    assert config is not None
    assert (config.tick_size, config.step_size, config.min_quantity, config.max_quantity, config.min_notional) == (
        RULES.tick, RULES.step, RULES.min_qty, RULES.max_qty, RULES.min_notional)


# ---- the prepared book -----------------------------------------------------------
# Symmetric around 30000: asks 30001, 30002 (two orders), 30003; bids 29999, 29998 (two), 29997; 0.1 each.
# Scenarios are written for a buyer; a seller's prices are mirrored (p -> 60000 - p).


def mirror(price: Decimal, side: str) -> Decimal:
    return price if side == "buy" else D(60000) - price


def seed(venue: Venue) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {"buy": [], "sell": []}
    for side, sign in (("sell", 1), ("buy", -1)):
        for distance in (1, 2, 2, 3):
            out = venue.submit(side, "limit", "0.1", str(30000 + sign * distance))
            assert out.code == "pending" and out.trades == [], out
            ids[side].append(out.order_id)  # type: ignore[arg-type]
    assert ids == {"sell": [1, 2, 3, 4], "buy": [5, 6, 7, 8]}
    return ids


def expected_depth(side: str, opposite: list, own: list) -> dict[str, list[tuple[Decimal, Decimal]]]:
    """Depth per real side from a buyer's view: ``own`` best first (highest), ``opposite`` best first (lowest)."""
    return {side: [(mirror(D(p), side), D(q)) for p, q in own],
            OTHER[side]: [(mirror(D(p), side), D(q)) for p, q in opposite]}


BOOK_BIDS = [("29999", "0.1"), ("29998", "0.2"), ("29997", "0.1")]
BOOK_ASKS = [("30001", "0.1"), ("30002", "0.2"), ("30003", "0.1")]

# order type -> (steps, final asks (opposite), final bids (own)), all from a buyer's view.
# A step: (order type, qty, price, post_only, expected code, expected trades as (price, qty, maker index)).
SCENARIOS = {
    "limit": ([
        ("limit", "0.35", "30002", False, "partially_filled",
         [("30001", "0.1", 0), ("30002", "0.1", 1), ("30002", "0.1", 2)]),
        ("limit", "0.1", "30000", False, "pending", []),
    ], [("30003", "0.1")], [("30002", "0.05"), ("30000", "0.1")] + BOOK_BIDS),
    "market": ([
        ("market", "0.15", None, False, "filled", [("30001", "0.1", 0), ("30002", "0.05", 1)]),
        ("market", "1", None, False, "cancelled", [("30002", "0.05", 1), ("30002", "0.1", 2), ("30003", "0.1", 3)]),
        ("market", "0.1", None, False, "cancelled", []),
    ], [], BOOK_BIDS),
    "ioc": ([
        ("ioc", "0.3", "30001", False, "cancelled", [("30001", "0.1", 0)]),
        ("ioc", "0.1", "40000", False, "filled", [("30002", "0.1", 1)]),
        ("ioc", "0.1", "30000", False, "cancelled", []),
    ], [("30002", "0.1"), ("30003", "0.1")], BOOK_BIDS),
    "fok": ([
        ("fok", "0.31", "30002", False, "FOK_NOT_FILLABLE", []),  # 0.3 within the limit, 0.4 in all
        ("fok", "0.3", "30002", False, "filled", [("30001", "0.1", 0), ("30002", "0.1", 1), ("30002", "0.1", 2)]),
        ("fok", "0.2", "40000", False, "FOK_NOT_FILLABLE", []),
    ], [("30003", "0.1")], BOOK_BIDS),
    "post_only": ([
        ("limit", "0.1", "30001", True, "POST_ONLY_WOULD_TAKE", []),  # an equal price takes
        ("limit", "0.1", "30000.99", True, "pending", []),
        ("ioc", "0.1", "30000", True, "POST_ONLY_NOT_LIMIT", []),
        ("market", "0.1", None, True, "POST_ONLY_NOT_LIMIT", []),
    ], BOOK_ASKS, [("30000.99", "0.1")] + BOOK_BIDS),
}


@pytest.mark.parametrize("kind", list(SCENARIOS))
@pytest.mark.parametrize("side", ["buy", "sell"])
def test_order_type_by_side(venue: Venue, side: str, kind: str) -> None:
    makers = seed(venue)[OTHER[side]]
    steps, opposite, own = SCENARIOS[kind]
    for i, (otype, qty, price, post_only, code, trades) in enumerate(steps):
        sent = None if price is None else str(mirror(D(price), side))
        out = venue.submit(side, otype, qty, sent, post_only=post_only)
        assert out.code == code, (i, out)
        assert out.trades == [(mirror(D(p), side), D(q), makers[k]) for p, q, k in trades], (i, out)
    want = expected_depth(side, opposite, own)
    assert {s: venue.depth(s) for s in ("buy", "sell")} == want


# ---- bad input -------------------------------------------------------------------

BAD_INPUT = [  # side, type, qty, price, post_only, expected code
    ("buy", "limit", "0.1", "30000.001", False, "PRICE_NOT_ON_TICK"),
    ("sell", "ioc", "0.1", "29999.999", False, "PRICE_NOT_ON_TICK"),
    ("buy", "limit", "0.000000001", "30000", False, "QUANTITY_NOT_ON_STEP"),
    ("sell", "market", "0.123456789", None, False, "QUANTITY_NOT_ON_STEP"),
    ("buy", "limit", "0.00000999", "30000", False, "QUANTITY_BELOW_MIN"),
    ("sell", "market", "0", None, False, "QUANTITY_BELOW_MIN"),
    ("buy", "limit", "-0.1", "30000", False, "QUANTITY_BELOW_MIN"),
    ("buy", "limit", "1000000.00000001", "1", False, "QUANTITY_ABOVE_MAX"),
    ("buy", "limit", "0.0003", "30000", False, "NOTIONAL_BELOW_MIN"),
    ("sell", "fok", "0.00049999", "20000", False, "NOTIONAL_BELOW_MIN"),
    ("buy", "limit", "0.1", None, False, "PRICE_REQUIRED"),
    ("sell", "ioc", "0.1", None, False, "PRICE_REQUIRED"),
    ("buy", "fok", "0.1", None, False, "PRICE_REQUIRED"),
    ("buy", "market", "0.1", "30000", False, "PRICE_NOT_ALLOWED"),
    ("buy", "limit", "0.1", "0", False, "PRICE_NOT_POSITIVE"),
    ("sell", "limit", "0.1", "-30000", False, "PRICE_NOT_POSITIVE"),
    ("buy", "fok", "0.1", "30005", True, "POST_ONLY_NOT_LIMIT"),
    ("sell", "market", "0.1", None, True, "POST_ONLY_NOT_LIMIT"),
]
EDGES = [  # accepted at the very edge of a rule
    ("buy", "limit", "0.0005", "20000", False, "pending"),  # notional exactly 10
    ("buy", "limit", "1000000", "0.01", False, "pending"),  # maximum quantity
    ("sell", "market", "0.00001", None, False, "filled"),  # minimum quantity; no notional for market orders
]


@pytest.mark.parametrize("side, otype, qty, price, post_only, code", BAD_INPUT + EDGES)
def test_bad_input_and_edges(venue: Venue, side: str, otype: str, qty: str, price: str | None, post_only: bool,
                             code: str) -> None:
    seed(venue)
    before = {s: venue.depth(s) for s in ("buy", "sell")}
    out = venue.submit(side, otype, qty, price, post_only=post_only)
    assert out.code == code, out
    if out.order_id is None:  # a refusal changes nothing and uses no order id
        assert out.trades == [] and {s: venue.depth(s) for s in ("buy", "sell")} == before
        assert venue.submit("buy", "limit", "0.1", "29000").order_id == 9
    else:
        assert out.order_id == 9


# ---- client order ids and cancels ------------------------------------------------

def test_client_ids_unique_among_live_orders(venue: Venue) -> None:
    ids = seed(venue)
    a = venue.submit("buy", "limit", "0.1", "29000", "a")
    assert a.code == "pending"
    assert venue.submit("buy", "limit", "0.1", "29000", "a").code == "CLIENT_ORDER_ID_IN_USE"
    assert venue.submit("sell", "fok", "0.1", "29999", "a").code == "CLIENT_ORDER_ID_IN_USE"  # refused before trading
    assert venue.submit("buy", "limit", "0.1", "29000", "b").order_id == a.order_id + 1  # refusals use no id
    # a partially filled order keeps its client id; once filled, it is free again
    part = venue.submit("sell", "limit", "0.2", "30001.5", "p")
    assert venue.submit("buy", "limit", "0.15", "30001.5").trades == [(D("30001"), D("0.1"), ids["sell"][0]),
                                                                      (D("30001.5"), D("0.05"), part.order_id)]
    assert venue.submit("sell", "limit", "0.1", "30050", "p").code == "CLIENT_ORDER_ID_IN_USE"
    assert venue.status(part.order_id) == ("partially_filled", D("0.15"))  # type: ignore[arg-type]
    assert venue.submit("buy", "market", "0.15").code == "filled"
    assert venue.submit("sell", "limit", "0.1", "30050", "p").code == "pending"


def test_client_ids_of_orders_that_never_rest_are_free(venue: Venue) -> None:
    seed(venue)
    assert venue.submit("buy", "fok", "1", "30003", "f").code == "FOK_NOT_FILLABLE"
    assert venue.submit("buy", "limit", "0.1", "30001", "po", post_only=True).code == "POST_ONLY_WOULD_TAKE"
    assert venue.submit("buy", "ioc", "0.2", "30001", "i").code == "cancelled"
    assert venue.submit("sell", "market", "0.1", None, "m").code == "filled"
    for coid in ("f", "po", "i", "m"):
        assert venue.submit("buy", "limit", "0.1", "29000", coid).code == "pending", coid


def test_cancel_by_id_and_by_client_id(venue: Venue) -> None:
    ids = seed(venue)
    c = venue.submit("sell", "limit", "0.1", "30010", "c")
    assert venue.cancel(client_order_id="c") == "cancelled"
    assert venue.cancel(client_order_id="c") == "ORDER_NOT_LIVE"  # only a finished order held it
    assert venue.cancel(c.order_id) == "ORDER_NOT_LIVE"
    assert venue.submit("sell", "limit", "0.1", "30010", "c").code == "pending"  # reusable once finished
    assert venue.cancel(client_order_id="never") == "UNKNOWN_ORDER"
    assert venue.cancel(999_999) == "UNKNOWN_ORDER"
    assert venue.cancel() == "ORDER_ID_REQUIRED"
    assert venue.cancel(ids["buy"][1]) == "cancelled"
    assert venue.cancel(ids["buy"][1]) == "ORDER_NOT_LIVE"
    rejected = venue.submit("buy", "fok", "5", "30003")
    assert rejected.code == "FOK_NOT_FILLABLE" and venue.cancel(rejected.order_id) == "ORDER_NOT_LIVE"
    filled = venue.submit("buy", "market", "0.1")
    assert venue.cancel(filled.order_id) == "ORDER_NOT_LIVE" and venue.cancel(ids["sell"][0]) == "ORDER_NOT_LIVE"
    assert venue.depth("buy") == [(D("29999"), D("0.1")), (D("29998"), D("0.1")), (D("29997"), D("0.1"))]
    assert venue.depth("sell")[0] == (D("30002"), D("0.2")) and venue.depth("sell")[-1] == (D("30010"), D("0.1"))


# ---- seeded random stream: engine and reference side by side ------------------

COIDS = [f"c{i}" for i in range(20)]  # a small pool, so collisions and reuse are frequent
ODD_QTY = ["0.0003", "0.00000999", "0.000000001", "0"]  # notional, minimum, step, zero
ODD_PRICE = ["30000.005", "0", "-1"]


def random_command(rng: random.Random, issued: list[int], live: list[int]) -> tuple:
    """A cancel (mostly of a live order) or an order: mostly passive limits, so the book grows deep."""
    roll = rng.random()
    if roll < 0.2:
        pick = rng.random()
        oid = rng.choice(live) if live and pick < 0.7 else rng.choice(issued) if issued and pick < 0.95 else 10**6
        return ("cancel", oid, None)
    if roll < 0.25:
        return ("cancel", None, rng.choice(COIDS))
    side = rng.choice(("buy", "sell"))
    otype = rng.choices(("limit", "market", "ioc", "fok"), (70, 8, 12, 10))[0]
    qty = str(D(rng.randint(1, 300)) / 1000) if rng.random() > 0.03 else rng.choice(ODD_QTY)
    away = D(rng.randint(-300, 1500)) / 100  # from 30000, away from the other side (negative: through it)
    price = None if otype == "market" else str(30000 - away if side == "buy" else 30000 + away)
    if rng.random() < 0.02:
        price = rng.choice(ODD_PRICE + [None, "30000"])  # also a missing price, or a price on a market order
    coid = rng.choice(COIDS) if rng.random() < 0.3 else None
    post_only = rng.random() < (0.15 if otype == "limit" else 0.01)
    return ("submit", side, otype, qty, price, coid, post_only)


@pytest.mark.parametrize("seed_", [7, 2024, 31337])
def test_random_stream_engine_agrees_with_reference(engine: MatchingEngine, seed_: int) -> None:
    rng = random.Random(seed_)
    eng, ref = EngineVenue(engine), ReferenceVenue()
    issued: list[int] = []
    codes: set[str] = set()
    for step in range(2000):
        command = random_command(rng, issued, [o.order_id for o in ref.book.resting])
        if command[0] == "cancel":
            got, want = eng.cancel(*command[1:]), ref.cancel(*command[1:])
            assert got == want, (step, command, got, want)
        else:
            got, want = eng.submit(*command[1:]), ref.submit(*command[1:])
            assert got == want, (step, command, got, want)
            if got.order_id is not None:
                issued.append(got.order_id)
        codes.add(got if isinstance(got, str) else got.code)
        for side in ("buy", "sell"):
            assert eng.depth(side) == ref.depth(side), (step, side)
    for oid in issued:
        assert eng.status(oid) == ref.status(oid), oid
    # the stream exercised what it claims to (a generator that drifted would pass vacuously)
    assert {"filled", "partially_filled", "cancelled", "FOK_NOT_FILLABLE", "POST_ONLY_WOULD_TAKE",
            "CLIENT_ORDER_ID_IN_USE", "NOTIONAL_BELOW_MIN", "ORDER_NOT_LIVE", "UNKNOWN_ORDER"} <= codes
    assert len(ref.book.resting) > 100 and engine.get_statistics(SYM)["trade_count"] > 200
