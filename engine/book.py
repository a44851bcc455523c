"""The order book of one symbol: price levels per side and price-time matching.

Everything here is in integer ticks and lots.  Each side is a ``SortedList`` of
level prices plus a dict from price to :class:`PriceLevel`; the best bid is the
right end of the bid prices, the best ask the left end of the ask prices, both
O(1).  A level is a FIFO list with a head index; a cancel marks the order and fixes the
level's totals at once (O(1)), and dead entries are dropped when they reach the
head of the queue or when they outnumber live ones.
"""
from __future__ import annotations

from typing import NamedTuple

from sortedcontainers import SortedList

from engine.order import BUY, CANCELLED, FILLED, PARTIALLY_FILLED, PENDING, SELL, Order


class PriceLevel:
    """All resting orders at one price, oldest first.

    ``queue[head:]`` holds the orders in arrival order; entries before ``head``
    were filled, and cancelled entries are skipped.  A plain list with a head
    index costs far less memory than a deque for the many levels that hold one
    or two orders.
    """

    __slots__ = ("price_ticks", "total_lots", "live", "head", "queue")

    def __init__(self, price_ticks: int) -> None:
        self.price_ticks = price_ticks
        self.total_lots = 0
        self.live = 0
        self.head = 0
        self.queue: list[Order] = []

    def orders(self) -> list[Order]:
        """Return the live orders at this level, oldest first. O(orders at level)."""
        return [o for o in self.queue[self.head:] if o.status is not CANCELLED]

    def _compact(self) -> None:
        self.queue = self.orders()
        self.head = 0


class Trade(NamedTuple):
    """One fill between a resting maker and an incoming taker, in ticks and lots.

    A named tuple: immutable, cheap to create, and of no interest to the garbage collector.
    """

    trade_id: int
    symbol: str
    price_ticks: int
    qty_lots: int
    aggressor_side: str
    maker_order_id: int
    taker_order_id: int
    ts_ns: int


class OrderBook:
    """Price-time priority book for one symbol.

    The book only matches and stores; validation, ids, fees and events belong to
    :class:`engine.matcher.MatchingEngine`.
    """

    __slots__ = ("symbol", "_bid_prices", "_ask_prices", "_bids", "_asks", "_orders", "sequence")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._bid_prices: SortedList = SortedList()
        self._ask_prices: SortedList = SortedList()
        self._bids: dict[int, PriceLevel] = {}
        self._asks: dict[int, PriceLevel] = {}
        self._orders: dict[int, Order] = {}
        self.sequence = 0  # last event sequence number of this symbol

    # ---- QUERIES ---------------------------------------------------------------

    def best_bid(self) -> int | None:
        """Highest bid price in ticks, or None. O(1)."""
        prices = self._bid_prices
        return prices[-1] if prices else None

    def best_ask(self) -> int | None:
        """Lowest ask price in ticks, or None. O(1)."""
        prices = self._ask_prices
        return prices[0] if prices else None

    def get_order(self, order_id: int) -> Order | None:
        """Return a resting order by id. O(1)."""
        return self._orders.get(order_id)

    def __len__(self) -> int:
        """Number of resting orders."""
        return len(self._orders)

    def level_total(self, side: str, price_ticks: int) -> int:
        """Lots resting at one price on one side (0 when there is no level). O(1)."""
        level = (self._bids if side == BUY else self._asks).get(price_ticks)
        return level.total_lots if level is not None else 0

    def depth(self, side: str, levels: int) -> list[tuple[int, int]]:
        """Top ``levels`` (price_ticks, total_lots), best first. O(log n + levels)."""
        if levels <= 0:
            return []
        if side == BUY:
            book = self._bids
            prices = self._bid_prices.islice(max(0, len(self._bid_prices) - levels), None, reverse=True)
        else:
            book, prices = self._asks, self._ask_prices.islice(0, levels)
        return [(p, book[p].total_lots) for p in prices]

    def level_count(self, side: str) -> int:
        return len(self._bid_prices if side == BUY else self._ask_prices)

    def orders_at(self, side: str, price_ticks: int) -> list[Order]:
        """Live orders at one price, oldest first."""
        level = (self._bids if side == BUY else self._asks).get(price_ticks)
        return level.orders() if level is not None else []

    def resting_orders(self) -> list[Order]:
        """Every resting order, bids best-first then asks best-first, FIFO within a level."""
        out: list[Order] = []
        for p in reversed(self._bid_prices):
            out.extend(self._bids[p].orders())
        for p in self._ask_prices:
            out.extend(self._asks[p].orders())
        return out

    def would_cross(self, side: str, price_ticks: int) -> bool:
        """True if a limit order at this price would take liquidity. O(1)."""
        if side == BUY:
            return bool(self._ask_prices) and self._ask_prices[0] <= price_ticks
        return bool(self._bid_prices) and self._bid_prices[-1] >= price_ticks

    def can_fill(self, side: str, limit_ticks: int | None, qty_lots: int) -> bool:
        """True if ``qty_lots`` can be taken at once within the limit.

        O(levels walked): stops as soon as enough is found.
        """
        if side == BUY:
            levels, prices = self._asks, self._ask_prices
            for p in prices:
                if limit_ticks is not None and p > limit_ticks:
                    return False
                qty_lots -= levels[p].total_lots
                if qty_lots <= 0:
                    return True
        else:
            levels, prices = self._bids, self._bid_prices
            for p in reversed(prices):
                if limit_ticks is not None and p < limit_ticks:
                    return False
                qty_lots -= levels[p].total_lots
                if qty_lots <= 0:
                    return True
        return False

    # ---- COMMANDS --------------------------------------------------------------

    def match(self, side: str, limit_ticks: int | None, qty_lots: int) -> tuple[list[tuple[Order, int]], int]:
        """Take liquidity for an incoming order; return ``(fills, remaining_lots)``.

        ``fills`` lists ``(maker, lots)`` in execution order; each trade is at the
        maker's price.  ``limit_ticks`` None means a market order.  Makers' status
        and the levels are updated; emptied levels are removed.
        O(fills + levels emptied x log levels).
        """
        fills: list[tuple[Order, int]] = []
        if side == BUY:
            prices, levels, head, buy = self._ask_prices, self._asks, 0, True
        else:
            prices, levels, head, buy = self._bid_prices, self._bids, -1, False
        index = self._orders
        remaining = qty_lots
        # SortedList keeps its values in sublists ``_lists``; reading the ends of the
        # first/last sublist directly is what ``prices[0]`` does, minus the call overhead.
        lists = prices._lists
        while remaining and lists:
            price = lists[head][head]
            if limit_ticks is not None and (price > limit_ticks if buy else price < limit_ticks):
                break
            level = levels[price]
            queue = level.queue
            i = level.head
            end = len(queue)
            while remaining and i < end:
                maker = queue[i]
                if maker.status is CANCELLED:
                    i += 1
                    continue
                open_lots = maker.remaining_lots
                if open_lots <= remaining:
                    fills.append((maker, open_lots))
                    remaining -= open_lots
                    level.total_lots -= open_lots
                    level.live -= 1
                    maker.remaining_lots = 0
                    maker.status = FILLED
                    i += 1
                    del index[maker.order_id]
                else:
                    fills.append((maker, remaining))
                    maker.remaining_lots = open_lots - remaining
                    maker.status = PARTIALLY_FILLED
                    level.total_lots -= remaining
                    remaining = 0
            if level.live == 0:
                del levels[price]
                del prices[head]
            elif i > 16 and 2 * i > end:
                del queue[:i]  # drop the filled prefix, amortised O(1) per fill
                level.head = 0
            else:
                level.head = i
        return fills, remaining

    def add_limit(self, order: Order) -> list[tuple[Order, int]]:
        """Match a limit order and rest what is left; return the fills.

        The integer core path: no validation, no events, no dicts.
        """
        price = order.price_ticks
        if order.side == BUY:
            lists = self._ask_prices._lists
            crosses = bool(lists) and lists[0][0] <= price
        else:
            lists = self._bid_prices._lists
            crosses = bool(lists) and lists[-1][-1] >= price
        if not crosses:
            self.rest(order)
            return []
        fills, remaining = self.match(order.side, price, order.remaining_lots)
        order.remaining_lots = remaining
        if remaining:
            order.status = PARTIALLY_FILLED
            self.rest(order)
        else:
            order.status = FILLED
        return fills

    def rest(self, order: Order) -> int:
        """Queue a limit order at its price; return the level's new total. O(log levels)."""
        price = order.price_ticks
        assert price is not None
        if order.side == BUY:
            levels, prices = self._bids, self._bid_prices
        else:
            levels, prices = self._asks, self._ask_prices
        level = levels.get(price)
        if level is None:
            level = levels[price] = PriceLevel(price)
            prices.add(price)
        else:
            order.price_ticks = level.price_ticks  # share one int object per level
        level.queue.append(order)
        level.live += 1
        level.total_lots += order.remaining_lots
        self._orders[order.order_id] = order
        return level.total_lots

    def cancel(self, order_id: int) -> Order | None:
        """Remove a resting order; return it (status cancelled) or None. O(1) amortised,
        O(log levels) when its level empties."""
        order = self._orders.pop(order_id, None)
        if order is None:
            return None
        price = order.price_ticks
        if order.side == BUY:
            levels, prices = self._bids, self._bid_prices
        else:
            levels, prices = self._asks, self._ask_prices
        level = levels[price]  # type: ignore[index]
        order.status = CANCELLED
        level.total_lots -= order.remaining_lots
        level.live -= 1
        if level.live == 0:
            del levels[price]  # type: ignore[arg-type]
            prices.remove(price)
        elif len(level.queue) - level.head > 2 * level.live + 8:
            level._compact()
        return order

    # ---- CHECKS ----------------------------------------------------------------

    def check_invariants(self) -> None:
        """Assert the book is consistent: not crossed, totals right, index exact, no empty level."""
        bid, ask = self.best_bid(), self.best_ask()
        assert bid is None or ask is None or bid < ask, f"crossed book: bid {bid} >= ask {ask}"
        seen: set[int] = set()
        for side, levels, prices in ((BUY, self._bids, self._bid_prices), (SELL, self._asks, self._ask_prices)):
            assert list(prices) == sorted(levels), f"{side} price list does not match its levels"
            for price in prices:
                level = levels[price]
                live = level.orders()
                assert live, f"empty {side} level at {price}"
                assert level.live == len(live), f"{side} level {price}: live count {level.live} != {len(live)}"
                total = 0
                last_id = -1
                for order in live:
                    assert order.side == side and order.price_ticks == price, f"misplaced {order}"
                    assert order.status in (PENDING, PARTIALLY_FILLED), f"finished order resting: {order}"
                    assert 0 < order.remaining_lots <= order.qty_lots, f"bad remaining: {order}"
                    assert self._orders.get(order.order_id) is order, f"index misses {order}"
                    assert order.order_id > last_id, f"FIFO broken at {side} {price}"
                    last_id = order.order_id
                    total += order.remaining_lots
                    seen.add(order.order_id)
                assert total == level.total_lots, f"{side} level {price}: total {level.total_lots} != {total}"
        assert seen == set(self._orders), "order index does not match the levels"
