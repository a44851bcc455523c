"""Hypothesis properties: quantity conserved, never crossed, FIFO within a level."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.matcher import create_crypto_engine
from engine.sequencing import IdSource
from tests.conftest import StepClock

SYM = "SOL-USDT"

orders = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell"]),
        st.sampled_from(["limit", "limit", "limit", "market", "ioc", "fok"]),
        st.integers(min_value=2, max_value=50),      # quantity in 0.1 SOL (min notional 10)
        st.integers(min_value=995, max_value=1005),  # price in 0.1 USDT
        st.booleans(),                               # cancel an earlier order after this one
    ),
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(orders)
def test_quantity_conserved_never_crossed_fifo(stream: list) -> None:
    engine = create_crypto_engine(ids=IdSource(), clock=StepClock())
    book = engine.get_order_book(SYM)
    assert book is not None
    submitted = Decimal(0)
    traded = Decimal(0)
    unfilled_finished = Decimal(0)
    results = []
    for side, order_type, qty_tenths, price_tenths, cancel in stream:
        qty = Decimal(qty_tenths) / 10
        price = None if order_type == "market" else str(Decimal(price_tenths) / 10)
        r = engine.submit_order(SYM, side, order_type, str(qty), price)
        assert "error" not in r, r
        submitted += qty
        traded += sum(Decimal(t["quantity"]) for t in r["trades"])
        results.append(r)
        if cancel and results:
            engine.cancel_order(SYM, results[len(results) // 2]["order_id"])
        book.check_invariants()
        bbo = engine.get_bbo(SYM)
        if bbo["bid"] and bbo["ask"]:
            assert Decimal(bbo["bid"]) < Decimal(bbo["ask"])
        # FIFO: at every level, resting order ids (arrival order) increase
        for lvl_side in ("buy", "sell"):
            for price_ticks, _ in book.depth(lvl_side, 1000):
                ids = [o.order_id for o in book.orders_at(lvl_side, price_ticks)]
                assert ids == sorted(ids)
    resting = sum(Decimal(q) for side in ("bids", "asks") for _, q in engine.get_book_snapshot(SYM, 1000)[side])
    for r in results:
        st_ = engine.get_order_status(SYM, r["order_id"])
        if st_["status"] in ("cancelled", "rejected"):
            unfilled_finished += Decimal(st_["remaining_quantity"])
    # each unit submitted is either traded (counted on both sides), resting, or ended unfilled
    assert submitted == 2 * traded + resting + unfilled_finished
