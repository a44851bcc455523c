"""The order book of one symbol: price levels per side and price-time matching.

Everything here is in integer ticks and lots.  Each side is a dict from price to
its level plus a binary heap of the level prices (negated for bids, so both heaps
are min-heaps): the best price is the heap's top, O(1); a new level is one
``heappush``.  A level that empties at the top is popped; one that empties deeper
(a cancel) leaves a stale heap entry that is skipped when it surfaces, and the
heap is rebuilt once stale entries outnumber live ones, so its size stays within
twice the number of levels.  The top of each heap is always a live level.

A level is a plain list ``[total_lots, oldest, ..., newest]``: the running total
first, then the resting orders in arrival order (time priority).
"""
from __future__ import annotations

from heapq import heapify, heappop, heappush
from typing import Iterator, NamedTuple

from engine.order import BUY, CANCELLED, FILLED, PARTIALLY_FILLED, PENDING, SELL, Order, Side


class Trade(NamedTuple):
    """One fill between a resting maker and an incoming taker, in ticks and lots.

    A named tuple: immutable, cheap to create, and of no interest to the garbage collector.
    """

    trade_id: int
    symbol: str
    price_ticks: int
    qty_lots: int
    aggressor_side: Side
    maker_order_id: int
    taker_order_id: int
    ts_ns: int
    maker_account: int | None = None  # owners, for an engine with accounts
    taker_account: int | None = None


Fill = tuple[Order, int]
"""(maker, lots): one maker touched by a taker, in execution order."""

_STALE_SLACK = 32


class OrderBook:
    """Price-time priority book for one symbol.

    The book only matches and stores; validation, ids, fees and events belong to
    :class:`engine.matcher.MatchingEngine`.
    """

    __slots__ = ("symbol", "_bids", "_asks", "_bid_heap", "_ask_heap", "_orders", "sequence")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._bids: dict[int, list] = {}
        self._asks: dict[int, list] = {}
        self._bid_heap: list[int] = []  # negated bid prices
        self._ask_heap: list[int] = []
        self._orders: dict[int, Order] = {}
        self.sequence = 0  # last event sequence number of this symbol

    # ---- QUERIES ---------------------------------------------------------------

    def best_bid(self) -> int | None:
        """Highest bid price in ticks, or None. O(1)."""
        heap = self._bid_heap
        return -heap[0] if heap else None

    def best_ask(self) -> int | None:
        """Lowest ask price in ticks, or None. O(1)."""
        heap = self._ask_heap
        return heap[0] if heap else None

    def get_order(self, order_id: int) -> Order | None:
        """A resting order by id, or None. O(1)."""
        return self._orders.get(order_id)

    def __len__(self) -> int:
        """Number of resting orders. O(1)."""
        return len(self._orders)

    def level_total(self, side: Side, price_ticks: int) -> int:
        """Lots resting at one price on one side (0 when there is no level). O(1)."""
        level = (self._bids if side == BUY else self._asks).get(price_ticks)
        return level[0] if level is not None else 0

    def level_count(self, side: Side) -> int:
        """Number of price levels on one side. O(1)."""
        return len(self._bids if side == BUY else self._asks)

    def prices(self, side: Side) -> Iterator[int]:
        """Level prices of one side, best first. O(k log k) for the first k, whatever the book's size."""
        if side == BUY:
            heap, levels, sign = self._bid_heap, self._bids, -1
        else:
            heap, levels, sign = self._ask_heap, self._asks, 1
        if not heap:
            return
        size = len(heap)
        seen: set[int] = set()
        frontier = [(heap[0], 0)]
        # Best-first walk of the heap array: a node is never better than its parent.
        while frontier:
            key, i = heappop(frontier)
            price = key * sign
            if price in levels and price not in seen:
                seen.add(price)
                yield price
            child = 2 * i + 1
            if child < size:
                heappush(frontier, (heap[child], child))
                if child + 1 < size:
                    heappush(frontier, (heap[child + 1], child + 1))

    def depth(self, side: Side, levels: int) -> list[tuple[int, int]]:
        """Top ``levels`` (price_ticks, total_lots), best first. O(levels x log levels)."""
        book = self._bids if side == BUY else self._asks
        out: list[tuple[int, int]] = []
        if levels <= 0:
            return out
        for price in self.prices(side):
            out.append((price, book[price][0]))
            if len(out) >= levels:
                break
        return out

    def orders_at(self, side: Side, price_ticks: int) -> list[Order]:
        """Resting orders at one price, oldest first. O(orders at the level)."""
        level = (self._bids if side == BUY else self._asks).get(price_ticks)
        return level[1:] if level is not None else []

    def resting_orders(self) -> list[Order]:
        """Every resting order, bids best-first then asks best-first, FIFO within a level. O(n log levels)."""
        out: list[Order] = []
        for price in sorted(self._bids, reverse=True):
            out.extend(self._bids[price][1:])
        for price in sorted(self._asks):
            out.extend(self._asks[price][1:])
        return out

    def would_cross(self, side: Side, price_ticks: int | None) -> bool:
        """True if an order at this limit (None: a market order) would take liquidity. O(1)."""
        if side == BUY:
            heap = self._ask_heap
            return bool(heap) and (price_ticks is None or heap[0] <= price_ticks)
        heap = self._bid_heap
        return bool(heap) and (price_ticks is None or -heap[0] >= price_ticks)

    def can_fill(self, side: Side, limit_ticks: int | None, qty_lots: int) -> bool:
        """True if ``qty_lots`` can be taken at once within the limit.

        O(k log k) for the k levels walked: stops as soon as enough is found.
        """
        opposite = SELL if side == BUY else BUY
        levels = self._asks if side == BUY else self._bids
        for price in self.prices(opposite):
            if limit_ticks is not None and (price > limit_ticks if side == BUY else price < limit_ticks):
                return False
            qty_lots -= levels[price][0]
            if qty_lots <= 0:
                return True
        return False

    def makers(self, side: Side, limit_ticks: int | None) -> Iterator[Order]:
        """The resting orders an incoming order of ``side`` would meet, in priority order, within its limit.

        Lazy: O(k log k) for the first k levels walked.
        """
        opposite = SELL if side == BUY else BUY
        levels = self._asks if side == BUY else self._bids
        for price in self.prices(opposite):
            if limit_ticks is not None and (price > limit_ticks if side == BUY else price < limit_ticks):
                return
            level = levels[price]
            for i in range(1, len(level)):
                yield level[i]

    # ---- COMMANDS --------------------------------------------------------------

    def match(self, side: Side, limit_ticks: int | None, qty_lots: int, fills: list[Fill]) -> int:
        """Take liquidity for an incoming order; append ``(maker, lots)`` to ``fills``; return the lots left.

        Each trade is at the maker's price; ``limit_ticks`` None means a market order.
        Makers' status and the levels are updated; emptied levels are removed.  Every
        fill but the last leaves its maker filled, and every level touched but the
        last is emptied.  O(fills + levels emptied x log levels).
        """
        if side == BUY:
            heap, levels, sign = self._ask_heap, self._asks, 1
        else:
            heap, levels, sign = self._bid_heap, self._bids, -1
        bound = None if limit_ticks is None else limit_ticks * sign  # compared in heap order
        index = self._orders
        remaining = qty_lots
        append = fills.append
        while remaining and heap:
            key = heap[0]
            if bound is not None and key > bound:
                break
            price = key * sign
            level = levels[price]
            total = level[0]
            end = len(level)
            i = 1
            while i < end:
                maker = level[i]
                lots = maker.remaining_lots
                if lots <= remaining:
                    append((maker, lots))
                    remaining -= lots
                    total -= lots
                    maker.remaining_lots = 0
                    maker.status = FILLED
                    del index[maker.order_id]
                    i += 1
                    if not remaining:
                        break
                else:
                    append((maker, remaining))
                    maker.remaining_lots = lots - remaining
                    maker.status = PARTIALLY_FILLED
                    total -= remaining
                    remaining = 0
                    break
            if i == end:
                del levels[price]
                heappop(heap)
                while heap and heap[0] * sign not in levels:
                    heappop(heap)
            else:
                level[0] = total
                if i > 1:
                    del level[1:i]
        if len(heap) > 2 * len(levels) + _STALE_SLACK:
            self._rebuild(SELL if side == BUY else BUY)
        return remaining

    def rest(self, order: Order) -> int:
        """Queue a limit order at its price; return the level's new total. O(1), O(log levels) for a new level."""
        price = order.price_ticks
        assert price is not None
        lots = order.remaining_lots
        if order.side == BUY:
            levels = self._bids
            level = levels.get(price)
            if level is None:
                levels[price] = [lots, order]
                heappush(self._bid_heap, -price)
                total = lots
            else:
                order.price_ticks = level[-1].price_ticks  # one price object per level, not one per order
                level.append(order)
                total = level[0] = level[0] + lots
        else:
            levels = self._asks
            level = levels.get(price)
            if level is None:
                levels[price] = [lots, order]
                heappush(self._ask_heap, price)
                total = lots
            else:
                order.price_ticks = level[-1].price_ticks
                level.append(order)
                total = level[0] = level[0] + lots
        self._orders[order.order_id] = order
        return total

    def cancel(self, order_id: int) -> Order | None:
        """Remove a resting order; return it (status cancelled) or None.

        O(orders at its level); O(log levels) more when its level was the best and empties.
        """
        order = self._orders.pop(order_id, None)
        if order is None:
            return None
        price = order.price_ticks
        if order.side == BUY:
            levels, heap, key = self._bids, self._bid_heap, -price  # type: ignore[operator]
        else:
            levels, heap, key = self._asks, self._ask_heap, price
        level = levels[price]  # type: ignore[index]
        order.status = CANCELLED
        if len(level) == 2:
            del levels[price]  # type: ignore[arg-type]
            if heap[0] == key:
                sign = -1 if order.side == BUY else 1
                heappop(heap)
                while heap and heap[0] * sign not in levels:
                    heappop(heap)
            elif len(heap) > 2 * len(levels) + _STALE_SLACK:
                self._rebuild(order.side)
        else:
            level.remove(order)
            level[0] -= order.remaining_lots
        return order

    def _rebuild(self, side: Side) -> None:
        """Drop the stale entries of one side's heap. O(levels)."""
        if side == BUY:
            heap = [-p for p in self._bids]
            heapify(heap)
            self._bid_heap = heap
        else:
            heap = list(self._asks)
            heapify(heap)
            self._ask_heap = heap

    # ---- CHECKS ----------------------------------------------------------------

    def check_invariants(self) -> None:
        """Raise AssertionError unless the book is consistent. O(n log n).

        Not crossed; each level's total equals its orders; FIFO by id within a level;
        the id index holds exactly the resting orders; no empty level; each heap's top
        is its best live level and every level is in its heap; heaps stay bounded.
        """
        bid, ask = self.best_bid(), self.best_ask()
        assert bid is None or ask is None or bid < ask, f"crossed book: bid {bid} >= ask {ask}"
        seen: set[int] = set()
        for side, levels, heap, sign in ((BUY, self._bids, self._bid_heap, -1), (SELL, self._asks, self._ask_heap, 1)):
            keys = {key * sign for key in heap}
            assert set(levels) <= keys, f"{side} levels missing from the heap"
            if levels:
                best = max(levels) if side == BUY else min(levels)
                assert heap[0] * sign == best, f"{side} heap top {heap[0] * sign} is not the best level {best}"
            else:
                assert not heap, f"{side} heap holds {len(heap)} entries with no level"
            assert len(heap) <= 2 * len(levels) + _STALE_SLACK + 1, f"{side} heap has grown to {len(heap)}"
            for price, level in levels.items():
                orders = level[1:]
                assert orders, f"empty {side} level at {price}"
                total = 0
                last_id = -1
                for order in orders:
                    assert order.side == side and order.price_ticks == price, f"misplaced {order}"
                    assert order.status is PENDING or order.status is PARTIALLY_FILLED, f"finished order resting: {order}"
                    assert 0 < order.remaining_lots <= order.qty_lots, f"bad remaining: {order}"
                    assert self._orders.get(order.order_id) is order, f"index misses {order}"
                    assert order.order_id > last_id, f"FIFO broken at {side} {price}"
                    last_id = order.order_id
                    total += order.remaining_lots
                    seen.add(order.order_id)
                assert total == level[0], f"{side} level {price}: total {level[0]} != {total}"
        assert seen == set(self._orders), "order index does not match the levels"
