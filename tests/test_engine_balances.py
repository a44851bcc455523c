"""Balances: pre-trade locks, exact settlement and conservation, checked against a Decimal model."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands import Cancel, CreateAccount, Deposit, Submit, Withdraw
from engine.errors import ResultCode
from engine.matcher import MatchingEngine, create_crypto_engine
from engine.order import BUY, FOK, IOC, LIMIT, MARKET, SELL
from engine.sequencing import IdSource
from tests.conftest import StepClock

SYM = "BTC-USDT"
RATE = Decimal("0.001")  # the crypto preset's maker and taker rate


def dec(engine: MatchingEngine, asset: str, units: int) -> Decimal:
    return Decimal(units).scaleb(-engine.accounts.decimals[asset])


def units(engine: MatchingEngine, asset: str, amount: str) -> int:
    return int(Decimal(amount).scaleb(engine.accounts.decimals[asset]))


def account(engine: MatchingEngine, name: str, **funds: str) -> int:
    account_id = engine.execute(CreateAccount(name)).command.account_id
    for asset, amount in funds.items():
        assert engine.execute(Deposit(account_id, asset, units(engine, asset, amount))).code is ResultCode.OK
    return account_id


def balance(engine: MatchingEngine, account_id: int, asset: str) -> tuple[Decimal, Decimal]:
    a = engine.accounts.by_id[account_id]
    return dec(engine, asset, a.available.get(asset, 0)), dec(engine, asset, a.locked.get(asset, 0))


@pytest.fixture
def engine() -> MatchingEngine:
    return create_crypto_engine(ids=IdSource(), clock=StepClock())


def test_units_are_fine_enough_for_every_amount(engine) -> None:  # type: ignore[no-untyped-def]
    assert engine.accounts.decimals == {"BTC": 8, "ETH": 8, "BNB": 8, "SOL": 8, "USDT": 13}


def test_a_buy_locks_price_times_quantity_plus_the_fee_and_settles_exactly(engine) -> None:  # type: ignore[no-untyped-def]
    a = account(engine, "a", USDT="10000")
    b = account(engine, "b", BTC="1")
    buy = engine.execute(Submit(SYM, BUY, LIMIT, 3_000_000, 10_000_000, account=a))  # 0.1 at 30000.00
    assert buy.code is ResultCode.OK
    assert balance(engine, a, "USDT") == (Decimal("6997"), Decimal("3003"))  # 3000 + 0.1% fee locked
    # a sell at 29,990 takes half: the maker pays its own price and fee; the lock for that half is used up
    sell = engine.execute(Submit(SYM, SELL, LIMIT, 2_999_000, 5_000_000, account=b))
    assert len(sell.trades) == 1 and sell.trades[0].price_ticks == 3_000_000
    assert balance(engine, a, "USDT") == (Decimal("6997"), Decimal("1501.5"))
    assert balance(engine, a, "BTC") == (Decimal("0.05"), 0)
    assert balance(engine, b, "BTC") == (Decimal("0.95"), 0)
    assert balance(engine, b, "USDT") == (Decimal("1498.5"), 0)  # 1500 less the 0.1% fee
    assert dec(engine, "USDT", engine.accounts.fees["USDT"]) == Decimal("3")
    # cancelling releases the rest of the lock at once
    assert engine.execute(Cancel(SYM, buy.order.order_id, account=a)).code is ResultCode.OK
    assert balance(engine, a, "USDT") == (Decimal("8498.5"), 0)
    engine.check_invariants()


def test_price_improvement_and_ioc_remainders_release_at_once(engine) -> None:  # type: ignore[no-untyped-def]
    a = account(engine, "a", USDT="10000")
    b = account(engine, "b", BTC="1")
    engine.execute(Submit(SYM, SELL, LIMIT, 2_900_000, 5_000_000, account=b))  # 0.05 at 29000
    ioc = engine.execute(Submit(SYM, BUY, IOC, 3_000_000, 10_000_000, account=a))  # 0.1 at up to 30000
    assert ioc.status == "cancelled" and ioc.remaining_lots == 5_000_000
    # paid 0.05 x 29000 = 1450 + 1.45 fee; nothing stays locked
    assert balance(engine, a, "USDT") == (Decimal("10000") - Decimal("1451.45"), 0)
    assert balance(engine, a, "BTC") == (Decimal("0.05"), 0)
    engine.check_invariants()


def test_a_market_buy_locks_what_walking_the_book_costs(engine) -> None:  # type: ignore[no-untyped-def]
    a = account(engine, "a", USDT="5000")
    b = account(engine, "b", BTC="1")
    engine.execute(Submit(SYM, SELL, LIMIT, 3_000_000, 10_000_000, account=b))  # 0.1 at 30000
    engine.execute(Submit(SYM, SELL, LIMIT, 3_100_000, 10_000_000, account=b))  # 0.1 at 31000
    # 0.2 would cost 6100 + 6.1: more than 5000
    refused = engine.execute(Submit(SYM, BUY, MARKET, None, 20_000_000, account=a))
    assert refused.code is ResultCode.INSUFFICIENT_BALANCE
    asset, need, have = refused.detail
    assert (asset, dec(engine, asset, need), dec(engine, asset, have)) == ("USDT", Decimal("6106.1"), Decimal("5000"))
    done = engine.execute(Submit(SYM, BUY, MARKET, None, 15_000_000, account=a))  # 0.15: 3000 + 1550 + fees
    assert done.status == "filled"
    assert balance(engine, a, "USDT") == (Decimal("5000") - Decimal("4550") - Decimal("4.55"), 0)
    engine.check_invariants()


@pytest.mark.parametrize("side, order_type, price", [
    (BUY, LIMIT, 3_000_000), (BUY, IOC, 3_000_000), (BUY, FOK, 3_000_000), (BUY, MARKET, None),
    (SELL, LIMIT, 3_000_000), (SELL, IOC, 3_000_000), (SELL, FOK, 3_000_000), (SELL, MARKET, None),
])
def test_insufficient_funds_are_refused_and_change_nothing(engine, side, order_type, price) -> None:  # type: ignore[no-untyped-def]
    poor = account(engine, "poor", USDT="100", BTC="0.001")
    rich = account(engine, "rich", USDT="100000", BTC="10")
    engine.execute(Submit(SYM, SELL, LIMIT, 3_000_000, 100_000_000, account=rich))
    engine.execute(Submit(SYM, BUY, LIMIT, 3_000_000, 100_000_000, account=rich))  # trades with the sell: both gone
    engine.execute(Submit(SYM, SELL, LIMIT, 3_000_000, 100_000_000, account=rich))
    engine.execute(Submit(SYM, BUY, LIMIT, 2_999_900, 100_000_000, account=rich))
    before = engine.snapshot()
    result = engine.execute(Submit(SYM, side, order_type, price, 10_000_000, account=poor))  # 0.1 BTC, 3000 USDT
    assert result.code is ResultCode.INSUFFICIENT_BALANCE
    assert engine.snapshot() == before
    assert engine.execute(Withdraw(poor, "USDT", units(engine, "USDT", "100.0000000000001"))).code \
        is ResultCode.INSUFFICIENT_BALANCE
    assert engine.execute(Withdraw(poor, "USDT", units(engine, "USDT", "100"))).code is ResultCode.OK
    engine.check_invariants()


def model_check(engine: MatchingEngine, deposits: dict[int, dict[str, Decimal]], trades: list) -> None:
    """Every account's total per asset and every lock, from deposits and trades in Decimal: an independent model."""
    totals = {aid: dict(funds) for aid, funds in deposits.items()}
    fee_total: dict[str, Decimal] = {}
    for trade, symbol in trades:
        market = engine.market(symbol)
        base, quote = symbol.split("-")
        price = market.config.price_scale.to_decimal(trade.price_ticks) if hasattr(market.config.price_scale, "to_decimal") \
            else Decimal(market.config.price_scale.text[trade.price_ticks])
        qty = Decimal(market.config.qty_scale.text[trade.qty_lots])
        value = price * qty
        fee = value * RATE
        buyer, seller = (trade.taker_account, trade.maker_account) if trade.aggressor_side == "buy" \
            else (trade.maker_account, trade.taker_account)
        for aid, asset, delta in ((buyer, base, qty), (buyer, quote, -value - fee), (seller, base, -qty),
                                  (seller, quote, value - fee)):
            totals[aid][asset] = totals[aid].get(asset, Decimal(0)) + delta
        fee_total[quote] = fee_total.get(quote, Decimal(0)) + 2 * fee
    for aid, funds in totals.items():
        acct = engine.accounts.by_id[aid]
        for asset in set(funds) | set(acct.available):
            held = dec(engine, asset, acct.available.get(asset, 0) + acct.locked.get(asset, 0))
            assert held == funds.get(asset, 0), (aid, asset, held, funds.get(asset))
        needs: dict[str, Decimal] = {}
        for order in acct.live.values():
            market = engine.market(order.symbol)
            base, quote = order.symbol.split("-")
            qty = Decimal(market.config.qty_scale.text[order.remaining_lots])
            if order.side == "buy":
                price = Decimal(market.config.price_scale.text[order.price_ticks])
                needs[quote] = needs.get(quote, Decimal(0)) + price * qty * (1 + RATE)
            else:
                needs[base] = needs.get(base, Decimal(0)) + qty
        locked = {a: dec(engine, a, u) for a, u in acct.locked.items() if u}
        assert locked == needs, (aid, locked, needs)
    assert {a: dec(engine, a, u) for a, u in engine.accounts.fees.items() if u} == {a: v for a, v in fee_total.items() if v}


@pytest.mark.parametrize("seed", range(8))
def test_random_streams_settle_like_the_model_and_conserve_every_asset(seed: int) -> None:
    random_stream(seed, 400)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), steps=st.integers(min_value=1, max_value=150))
def test_conservation_holds_for_any_stream(seed: int, steps: int) -> None:
    """The same property over streams hypothesis chooses: every step keeps the invariants and the model."""
    random_stream(seed, steps, check_every=1)


def random_stream(seed: int, steps: int, check_every: int = 20) -> None:
    """Four accounts with random funds trade, cancel and are refused on two symbols; the invariants (locks,
    no negative balance, conservation) and the Decimal model are checked every ``check_every`` steps."""
    rng = random.Random(seed)
    engine = create_crypto_engine(ids=IdSource(), clock=StepClock())
    symbols = ["BTC-USDT", "ETH-USDT"]
    deposits: dict[int, dict[str, Decimal]] = {}
    ids = []
    for i in range(4):
        funds = {"USDT": Decimal(rng.choice(["500", "5000", "50000"])), "BTC": Decimal(rng.choice(["0.01", "1"])),
                 "ETH": Decimal(rng.choice(["0.1", "10"]))}
        ids.append(account(engine, f"acct-{i}", **{k: str(v) for k, v in funds.items()}))
        deposits[ids[-1]] = funds
    mids = {"BTC-USDT": 3_000_000, "ETH-USDT": 200_000}
    trades: list = []
    refused = 0
    for step in range(steps):
        aid = rng.choice(ids)
        symbol = rng.choice(symbols)
        if rng.random() < 0.2 and engine.accounts.by_id[aid].live:
            oid = rng.choice(list(engine.accounts.by_id[aid].live))
            victim = engine.accounts.by_id[aid].live[oid]
            assert engine.execute(Cancel(victim.symbol, oid, account=aid)).code is ResultCode.OK
        else:
            side = rng.choice([BUY, SELL])
            otype = rng.choice([LIMIT, LIMIT, LIMIT, IOC, FOK, MARKET])
            price = None if otype is MARKET else mids[symbol] + rng.randint(-50, 50) * 100
            lots = rng.randint(1, 40) * 1_000_000 if symbol == "BTC-USDT" else rng.randint(1, 40) * 10_000_000
            before = engine.snapshot() if step % 25 == 0 else None
            result = engine.execute(Submit(symbol, side, otype, price, lots, account=aid))
            if result.code is ResultCode.INSUFFICIENT_BALANCE:
                refused += 1
                if before is not None:
                    assert engine.snapshot() == before
            trades.extend((t, symbol) for t in result.trades)
        if step % check_every == 0:
            engine.check_invariants()
            model_check(engine, deposits, trades)
    engine.check_invariants()
    model_check(engine, deposits, trades)
    if steps >= 400:
        assert trades and refused  # a long stream exercises both


def test_a_market_buy_for_a_quote_amount_spends_at_most_it(engine) -> None:  # type: ignore[no-untyped-def]
    a = account(engine, "a", USDT="10000")
    b = account(engine, "b", BTC="1")
    engine.execute(Submit(SYM, SELL, LIMIT, 3_000_000, 10_000_000, account=b))  # 0.1 at 30000
    engine.execute(Submit(SYM, SELL, LIMIT, 3_100_000, 10_000_000, account=b))  # 0.1 at 31000
    budget = units(engine, "USDT", "4000")
    result = engine.execute(Submit(SYM, BUY, MARKET, None, None, account=a, quote_qty=budget))  # type: ignore[arg-type]
    assert result.code is ResultCode.OK and result.status == "filled"
    # 0.1 at 30000 costs 3003 with the fee; 997 left buys floor(997 / 31.031) steps of 1e-8 at 31000
    second = (Decimal("997") / (Decimal("31000") * Decimal("1.001"))).quantize(Decimal("0.00000001"), rounding="ROUND_DOWN")
    assert [t.qty_lots for t in result.trades] == [10_000_000, int(second.scaleb(8))]
    spent = Decimal("3003") + second * Decimal("31000") * Decimal("1.001")
    assert spent <= Decimal("4000") and Decimal("4000") - spent < Decimal("31000") * Decimal("1.001") * Decimal("1e-8")
    assert balance(engine, a, "USDT") == (Decimal("10000") - spent, 0)
    assert balance(engine, a, "BTC") == (Decimal("0.1") + second, 0)
    # only a market buy spends an amount; an amount too small for one step is refused
    assert engine.execute(Submit(SYM, SELL, MARKET, None, None, account=a, quote_qty=budget)).code \
        is ResultCode.INVALID_QUOTE_QUANTITY  # type: ignore[arg-type]
    assert engine.execute(Submit(SYM, BUY, MARKET, None, None, account=a, quote_qty=1)).code \
        is ResultCode.QUANTITY_BELOW_MIN  # type: ignore[arg-type]
    engine.check_invariants()


def test_quote_amount_orders_are_journaled_and_replay_exactly() -> None:
    from api.storage.records import decode, encode

    recorded = []

    class Journal:
        failed = False

        def record(self, command, events) -> None:  # type: ignore[no-untyped-def]
            recorded.append(command)

    live = create_crypto_engine(ids=IdSource(), clock=StepClock(), journal=Journal())
    a = account(live, "a", USDT="10000000")  # 1e20 units: past a signed 64-bit integer
    b = account(live, "b", BTC="10")
    live.execute(Submit(SYM, SELL, LIMIT, 3_000_000, 500_000_000, account=b))
    live.execute(Submit(SYM, BUY, MARKET, None, None, account=a, quote_qty=units(live, "USDT", "1000000"),  # type: ignore[arg-type]
                        client_order_id="q-1", stp="cancel_maker"))
    index = {s: i for i, s in enumerate(live.symbols)}
    replay = create_crypto_engine(ids=IdSource(), clock=lambda: 1 / 0)
    for command in recorded:
        again = decode(encode(command, index), live.symbols)
        assert again == command
        assert replay.execute(again).code is ResultCode.OK
    assert replay.snapshot() == live.snapshot()
    replay.check_invariants()


def test_market_buys_walk_the_book_as_self_trade_prevention_will(engine) -> None:  # type: ignore[no-untyped-def]
    a = account(engine, "a", USDT="101", BTC="1")
    b = account(engine, "b", BTC="1")
    engine.execute(Submit(SYM, SELL, LIMIT, 10_000, 100_000_000, account=a))  # a's own ask: 1 at 100
    engine.execute(Submit(SYM, SELL, LIMIT, 20_000, 100_000_000, account=b))  # 1 at 200
    # cancel_maker skips a's own ask, so 1 BTC costs 200.2: more than a has
    refused = engine.execute(Submit(SYM, BUY, MARKET, None, 100_000_000, account=a, stp="cancel_maker"))
    assert refused.code is ResultCode.INSUFFICIENT_BALANCE and dec(engine, "USDT", refused.detail[1]) == Decimal("200.2")
    # for an amount, it buys only from b's ask and never spends more than the amount
    spent = engine.execute(Submit(SYM, BUY, MARKET, None, None, account=a, stp="cancel_maker",  # type: ignore[arg-type]
                                  quote_qty=units(engine, "USDT", "101")))
    assert spent.code is ResultCode.OK and [t.price_ticks for t in spent.trades] == [20_000]
    available, locked = balance(engine, a, "USDT")
    assert 0 <= available < Decimal("101") and locked == 0
    engine.check_invariants()


def test_quote_amount_with_a_quantity_or_on_another_order_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    a = account(engine, "a", USDT="1000", BTC="1")
    for command in (Submit(SYM, SELL, LIMIT, 10_000, 100_000_000, account=a, quote_qty=5),
                    Submit(SYM, BUY, MARKET, None, 1_000_000, account=a, quote_qty=5),
                    Submit(SYM, BUY, MARKET, None, None, quote_qty=5)):  # type: ignore[arg-type]
        assert engine.execute(command).code is ResultCode.INVALID_QUOTE_QUANTITY
    assert not engine.get_order_book(SYM)


def test_trades_without_accounts_move_no_money_once_accounts_exist(engine) -> None:  # type: ignore[no-untyped-def]
    account(engine, "a", USDT="1000")
    engine.execute(Submit(SYM, SELL, LIMIT, 3_000_000, 1_000_000))
    assert engine.execute(Submit(SYM, BUY, LIMIT, 3_000_000, 1_000_000)).trades
    assert engine.accounts.fees.get("USDT", 0) == 0
    engine.check_invariants()  # conservation: no fee out of nothing


def test_a_snapshot_counted_in_other_units_or_from_format_4_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    account(engine, "a", USDT="1000")
    state = engine.snapshot()
    state["accounts"]["decimals"]["USDT"] = 10
    with pytest.raises(ValueError, match="counts USDT in 1e-10"):
        create_crypto_engine().restore(state)
    with pytest.raises(ValueError, match="format 4"):
        create_crypto_engine().restore({**engine.snapshot(), "version": 4})
