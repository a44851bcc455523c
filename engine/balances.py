"""Money: assets, what an order locks, and how a fill settles, in exact integers.

Each asset is counted in its own smallest unit, fine enough for every amount any
symbol can produce: a base asset holds its quantity steps, a quote asset holds
price x quantity x fee rate exactly (BTC-USDT: 0.01 tick, 1e-8 step, 0.001 fee
rate, so USDT is counted in 1e-13).  All amounts are linear in lots, so a lock
taken for a whole order splits exactly over its fills.

- A buy locks price x quantity plus the larger fee rate's fee on it, in the quote
  asset (a market buy: the cost of walking the book for its quantity).  A sell
  locks its quantity in the base asset.
- A fill moves the base asset to the buyer and the quote asset, less the seller's
  fee, to the seller; the buyer pays the value plus its own fee; both fees go to
  the venue's fee account.  What a buyer locked beyond what it paid (a better
  price, a maker's lower fee) goes back to available.
- Conservation: per asset, the accounts' available + locked plus the fee account
  equals deposits minus withdrawals.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.order import BUY, LIMIT, Order, Side

if TYPE_CHECKING:
    from engine.accounts import Account, Accounts
    from engine.book import OrderBook
    from engine.market import Market

MAX_AMOUNT = 10**40  # a deposit or withdrawal above this many units is refused (no asset needs more)


def split_symbol(symbol: str) -> tuple[str, str]:
    """``BTC-USDT`` -> ``("BTC", "USDT")``."""
    base, sep, quote = symbol.partition("-")
    if not sep or not base or not quote:
        raise ValueError(f"symbol {symbol!r} does not name its assets as BASE-QUOTE")
    return base, quote


class MarketMoney:
    """One market's conversion factors from ticks and lots to its assets' units."""

    __slots__ = ("base", "quote", "decimals", "base_per_lot", "lock_per_tick_lot", "value_per_tick_lot", "maker_fee_per_tick_lot",
                 "taker_fee_per_tick_lot")

    def __init__(self, market: Market, decimals: dict[str, int]) -> None:
        config, fees = market.config, market.fees
        self.base, self.quote = split_symbol(market.symbol)
        self.decimals = {self.base: decimals[self.base], self.quote: decimals[self.quote]}
        qd, vd, fd = config.qty_scale.decimals, config.value_decimals, fees.decimals
        self.base_per_lot = config.qty_scale.unit * 10 ** (decimals[self.base] - qd)
        per_value = market.value_factor * 10 ** (decimals[self.quote] - vd - fd)  # quote units per tick x lot, x rate
        maker, taker = fees.fee_units(1, True), fees.fee_units(1, False)
        self.value_per_tick_lot = per_value * 10**fd
        self.maker_fee_per_tick_lot = per_value * maker
        self.taker_fee_per_tick_lot = per_value * taker
        self.lock_per_tick_lot = per_value * (10**fd + max(maker, taker))


def needed_decimals(market: Market) -> dict[str, int]:
    """The decimals each of a market's assets needs to hold its amounts exactly."""
    base, quote = split_symbol(market.symbol)
    config = market.config
    quote_needs = config.value_decimals + market.fees.decimals
    if base == quote:
        raise ValueError(f"symbol {market.symbol!r} trades an asset against itself")
    return {base: config.qty_scale.decimals, quote: quote_needs}


def order_lock(money: MarketMoney, order: Order) -> tuple[str, int]:
    """What a resting order keeps locked: ``(asset, units)``."""
    if order.side is BUY:
        return money.quote, order.price_ticks * order.remaining_lots * money.lock_per_tick_lot  # type: ignore[operator]
    return money.base, order.remaining_lots * money.base_per_lot


def requirement(money: MarketMoney, book: OrderBook, side: Side, price: int | None, lots: int,
                account: int | None = None, stp: str | None = None) -> tuple[str, int]:
    """What an order must lock at entry: ``(asset, units)``. A market buy costs what its quantity would take from
    the book now, meeting the makers exactly as matching will under self-trade prevention ``stp`` (less, if the
    book holds less). O(makers walked) for a market buy, else O(1)."""
    if side is not BUY:
        return money.base, lots * money.base_per_lot
    if price is not None:
        return money.quote, price * lots * money.lock_per_tick_lot
    cost, left = 0, lots
    for maker in takeable(book, account, stp):
        take = min(left, maker.remaining_lots)
        cost += maker.price_ticks * take  # type: ignore[operator]
        left -= take
        if not left:
            break
    return money.quote, cost * money.lock_per_tick_lot


def takeable(book: OrderBook, account: int | None, stp: str | None) -> Any:
    """The asks a market buy of ``account`` will trade with, in order: its own orders are skipped
    (``cancel_maker``) or end the walk (``cancel_taker``, ``cancel_both``)."""
    for maker in book.makers(BUY, None):
        if stp is not None and stp != "none" and maker.account == account:
            if stp == "cancel_maker":
                continue
            return
        yield maker


def lots_for_quote(market: Market, side: Side, order_type: Any, account: int | None, budget: Any,
                   stp: str | None = None) -> Any:
    """The most lots a market buy can take from the book now spending at most ``budget`` quote units, fees
    included (whole steps); or the ResultCode refusing the order. O(levels walked)."""
    from engine.errors import ResultCode
    from engine.order import MARKET

    money = market.money
    if side is not BUY or order_type is not MARKET or account is None or money is None:
        return ResultCode.INVALID_QUOTE_QUANTITY  # only a market buy of an account spends an amount
    if type(budget) is not int or not 0 < budget <= MAX_AMOUNT:
        return ResultCode.INVALID_AMOUNT
    step = market.config.qty_scale.unit
    lots, left = 0, budget
    for maker in takeable(market.book, account, stp):
        price = maker.price_ticks
        take = min(maker.remaining_lots, left // (price * step * money.lock_per_tick_lot) * step)  # type: ignore[operator]
        lots += take
        left -= price * take * money.lock_per_tick_lot  # type: ignore[operator]
        if take < maker.remaining_lots:
            break
    return lots


def lock(account: Account, asset: str, units: int) -> None:
    account.available[asset] = account.available.get(asset, 0) - units
    account.locked[asset] = account.locked.get(asset, 0) + units


def release(account: Account, asset: str, units: int) -> None:
    if units:
        account.locked[asset] -= units
        account.available[asset] += units


def settle(money: MarketMoney, fees: dict[str, int], fills: list[tuple[Order, int]], taker: Order,
           taker_account: Account | None, accounts: dict[int, Account]) -> int:
    """Move the assets of a taker's fills; return what the taker paid in the quote asset if it bought (its lock
    is squared by :func:`square_taker`). A side without an account is not settled. O(fills)."""
    base, quote = money.base, money.quote
    base_per_lot, value_per = money.base_per_lot, money.value_per_tick_lot
    maker_fee_per, taker_fee_per, lock_per = money.maker_fee_per_tick_lot, money.taker_fee_per_tick_lot, \
        money.lock_per_tick_lot
    taker_buys = taker.side is BUY
    paid = 0
    venue = 0
    for maker, lots in fills:
        price = maker.price_ticks
        value = price * lots * value_per  # type: ignore[operator]
        maker_fee = price * lots * maker_fee_per  # type: ignore[operator]
        taker_fee = price * lots * taker_fee_per  # type: ignore[operator]
        base_units = lots * base_per_lot
        owner = accounts.get(maker.account) if maker.account is not None else None  # type: ignore[arg-type]
        if taker_account is not None:
            venue += taker_fee  # a side without an account pays nothing the accounts could see
        if owner is not None:
            venue += maker_fee
            if taker_buys:  # the maker sold: its base was locked; it receives the value less its fee
                owner.locked[base] -= base_units
                owner.available[quote] = owner.available.get(quote, 0) + value - maker_fee
            else:  # the maker bought at its own price: it locked more than it pays unless its fee is the larger
                owner.locked[quote] -= price * lots * lock_per  # type: ignore[operator]
                owner.available[quote] += price * lots * lock_per - value - maker_fee  # type: ignore[operator]
                owner.available[base] = owner.available.get(base, 0) + base_units
        if taker_account is not None:
            if taker_buys:
                paid += value + taker_fee
                taker_account.available[base] = taker_account.available.get(base, 0) + base_units
            else:
                taker_account.locked[base] -= base_units
                taker_account.available[quote] = taker_account.available.get(quote, 0) + value - taker_fee
    if taker_buys and taker_account is not None:
        taker_account.locked[quote] -= paid
    fees[quote] = fees.get(quote, 0) + venue
    return paid


def square_taker(money: MarketMoney, account: Account, taker: Order, locked_at_entry: int, paid: int,
                 remaining: int, rests: bool) -> None:
    """After matching: what the taker locked at entry and did not pay, beyond what a resting remainder keeps,
    goes back to available (an IOC or market remainder, a better price, a lower fee)."""
    if taker.side is BUY:
        keep = taker.price_ticks * remaining * money.lock_per_tick_lot if rests else 0  # type: ignore[operator]
        release(account, money.quote, locked_at_entry - paid - keep)
    elif not rests:
        release(account, money.base, remaining * money.base_per_lot)


def balance_rows(account: Account) -> list[list[Any]]:
    """An account's balances as ``[asset, available, locked]`` rows (snapshots)."""
    assets = sorted(set(account.available) | set(account.locked))
    return [[a, account.available.get(a, 0), account.locked.get(a, 0)] for a in assets]


def rests(order: Order, remaining: int) -> bool:
    return bool(remaining) and order.order_type is LIMIT


def price_assets(markets: dict[str, Market], accounts: Accounts) -> None:
    """Set each asset's smallest unit, fine enough for every market that trades it, and each market's factors.

    Raises ValueError if that would change the unit of an asset the accounts already hold. O(markets).
    """
    decimals: dict[str, int] = {}
    for market in markets.values():
        try:
            needs = needed_decimals(market)
        except ValueError:  # not named BASE-QUOTE: its orders cannot carry an account
            continue
        for asset, places in needs.items():
            decimals[asset] = max(decimals.get(asset, 0), places)
    for asset, places in decimals.items():
        if accounts.supply.get(asset) and accounts.decimals.get(asset) != places:
            raise ValueError(f"adding this symbol would change the unit of {asset}, which accounts already hold")
    accounts.decimals = decimals
    for market in markets.values():
        try:
            market.money = MarketMoney(market, decimals)
        except ValueError:
            market.money = None


def check_money(markets: dict[str, Market], accounts: Accounts) -> None:
    """Raise AssertionError unless each account's locked funds are what its open orders need, no balance is
    negative, and (unless orders with and without accounts traded) every asset is conserved: the accounts'
    balances plus the fee account equal deposits minus withdrawals. O(accounts x assets + live orders)."""
    totals: dict[str, int] = dict(accounts.fees)
    for account in accounts.by_id.values():
        needs: dict[str, int] = {}
        for order in account.live.values():
            asset, units = order_lock(markets[order.symbol].money, order)
            needs[asset] = needs.get(asset, 0) + units
        held = {a: u for a, u in account.locked.items() if u}
        assert held == needs, f"account {account.account_id} locks {held}, its open orders need {needs}"
        for asset, units in list(account.available.items()) + list(account.locked.items()):
            assert units >= 0, f"account {account.account_id} holds {units} {asset}"
            totals[asset] = totals.get(asset, 0) + units
    if not accounts.mixed:
        supply = {a: u for a, u in accounts.supply.items() if u}
        assert {a: u for a, u in totals.items() if u} == supply, f"balances {totals} differ from deposits {supply}"
