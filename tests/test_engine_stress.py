"""Seeded random streams: the engine must agree with the naive reference book at every step."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from engine import MatchingEngine
from tests.conftest import check_all
from tests.reference_book import ReferenceBook

SYM = "ETH-USDT"


def random_stream(engine: MatchingEngine, seed: int, steps: int, owners: dict[str, list[int]] | None = None) -> None:
    """With ``owners`` (side -> accounts), each order comes from an account of its side (so none can meet its
    own), each cancel from the order's owner, and the money invariants are checked after every step."""
    rng = random.Random(seed)
    ref = ReferenceBook()
    live: list[int] = []
    owner_of: dict[int, int | None] = {}
    for step in range(steps):
        roll = rng.random()
        if roll < 0.2 and live:
            oid = live.pop(rng.randrange(len(live)))
            r = engine.cancel_order(SYM, oid, account=owner_of.get(oid))
            assert r["success"] == ref.cancel(oid), (step, r)
        else:
            side = rng.choice(("buy", "sell"))
            order_type = rng.choices(("limit", "market", "ioc", "fok"), (70, 10, 10, 10))[0]
            post_only = order_type == "limit" and rng.random() < 0.1
            qty = Decimal(rng.randint(1, 400)) * Decimal("0.01")
            price = None if order_type == "market" else Decimal(rng.randint(199_90, 200_10)) / 10  # 1999.0..2001.0
            account = rng.choice(owners[side]) if owners else None
            r = engine.submit_order(SYM, side, order_type, str(qty), None if price is None else str(price),
                                    post_only=post_only, account=account)
            owner_of[r.get("order_id", -1)] = account
            assert "error" not in r, (step, r)
            status, trades = ref.submit(r["order_id"], side, order_type, qty, price, post_only)
            assert r["status"] == status, (step, r, status)
            got = [(Decimal(t["price"]), Decimal(t["quantity"]), t["maker_order_id"]) for t in r["trades"]]
            assert got == [(t.price, t.quantity, t.maker_order_id) for t in trades], step
            if status in ("pending", "partially_filled"):
                live.append(r["order_id"])
            for t in trades:
                if ref.orders[t.maker_order_id].remaining == 0 and t.maker_order_id in live:
                    live.remove(t.maker_order_id)
        book = engine.get_order_book(SYM)
        assert book is not None
        book.check_invariants()
        if owners:
            engine.check_invariants()  # locks, no negative balance, conservation: after every step
        if step % 10 == 0:
            snap = engine.get_book_snapshot(SYM, 1000)
            for side, key in (("buy", "bids"), ("sell", "asks")):
                assert [[Decimal(p), Decimal(q)] for p, q in snap[key]] == ref.depth(side, 1000), step
    # every order the reference knows has the same final status in the engine
    for oid, order in ref.orders.items():
        st = engine.get_order_status(SYM, oid, account=owner_of.get(oid))
        assert st["status"] == order.status and Decimal(st["remaining_quantity"]) == order.remaining, oid
    check_all(engine)


@pytest.mark.parametrize("seed", [1, 2, 3, 42])
def test_random_stream_matches_reference(engine: MatchingEngine, seed: int) -> None:
    random_stream(engine, seed, 3000)


@pytest.mark.parametrize("seed", [5, 6])
def test_random_stream_with_accounts_matches_reference_and_conserves_money(engine: MatchingEngine, seed: int) -> None:
    from engine.commands import CreateAccount, Deposit

    ids = []
    for name in ("b1", "b2", "s1", "s2"):
        account_id = engine.execute(CreateAccount(name)).command.account_id
        for asset, places in engine.accounts.decimals.items():
            assert engine.execute(Deposit(account_id, asset, 10 ** (places + 7))).executed
        ids.append(account_id)
    random_stream(engine, seed, 1500, owners={"buy": ids[:2], "sell": ids[2:]})
    assert engine.accounts.fees["USDT"] > 0


def test_one_level_with_many_cancels_stays_compact(engine: MatchingEngine) -> None:
    ids = [engine.submit_order(SYM, "sell", "limit", "0.01", "2000")["order_id"] for _ in range(500)]
    for oid in ids[:-1]:
        assert engine.cancel_order(SYM, oid)["success"]
    book = engine.get_order_book(SYM)
    assert book is not None
    assert [o.order_id for o in book.orders_at("sell", 200000)] == [ids[-1]]
    assert book.level_total("sell", 200000) == 1_000_000
    r = engine.submit_order(SYM, "buy", "market", "0.01")
    assert r["trades"][0]["maker_order_id"] == ids[-1]
    check_all(engine)
