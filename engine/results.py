"""What ``execute`` returns: a result code, the order it created or touched, its trades, its events.

A result is built on every command, so it holds only what the command produced,
as integers, and builds its event objects only when they are asked for.
It records the values that later commands may change (the order's status and
remaining lots, the last maker's remaining lots, level totals), so its events
are the same whenever they are read.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from engine.book import Fill, Trade
from engine.commands import Cancel
from engine.errors import ResultCode
from engine.events import (
    Event,
    LevelChanged,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderUpdated,
    TradeExecuted,
)
from engine.order import BUY, FILLED, LIMIT, PARTIALLY_FILLED, REJECTED, SELL, Order, Status
from engine.self_trade import REASON as STP_REASON

EXECUTED_CODES = _EXECUTED = frozenset({ResultCode.OK, ResultCode.FOK_NOT_FILLABLE, ResultCode.POST_ONLY_WOULD_TAKE})
NO_TRADES: tuple[Trade, ...] = ()
NO_FILLS: tuple[Fill, ...] = ()


class Result(NamedTuple):
    """The outcome of one command.

    ``code`` is ``OK`` when the command executed; an order that executed but could
    not trade as asked ends ``rejected`` with ``FOK_NOT_FILLABLE`` or
    ``POST_ONLY_WOULD_TAKE``; any other code is a refusal that changed nothing (for
    a refused cancel, ``order`` is the finished order it named, if known).
    ``status`` and ``remaining_lots`` are the order's as the command left it.

    A named tuple: immutable, and the cheapest object Python builds, which matters
    for a value made once per command.
    """

    code: ResultCode
    command: Any
    order: Order | None = None
    status: Status | None = None
    remaining_lots: int = 0
    trades: list[Trade] | tuple[Trade, ...] = NO_TRADES
    fills: list[Fill] | tuple[Fill, ...] = NO_FILLS  # (maker, lots) in execution order
    first_sequence: int = 0
    last_maker_lots: int = 0  # the last maker's remaining lots after its fill
    level_lots: int = 0  # total at the last level touched (matching), or at a cancelled order's level
    rest_lots: int = 0  # total at the level the order rested on
    ts_ns: int = 0  # when the command ran (for a submit, the order's own time)
    detail: Any = None  # INSUFFICIENT_BALANCE: (asset, units needed, units available)
    prevented: Any = ()  # self-trade prevention: ((own resting order cancelled, its level's total after), ...)
    stopped: bool = False  # self-trade prevention cancelled the rest of the incoming order

    @property
    def executed(self) -> bool:
        """True if the command changed the engine's state."""
        return self.code in _EXECUTED

    @property
    def events(self) -> list[Event]:
        """The events this command produced, in sequence order, built on each access. O(events)."""
        return self._build_events() if self.code in _EXECUTED and self.order is not None else []

    def _build_events(self) -> list[Event]:
        order = self.order
        assert order is not None
        symbol, ts, seq = order.symbol, self.ts_ns, self.first_sequence
        oid, coid, side, account = order.order_id, order.client_order_id, order.side, order.account
        remaining = self.remaining_lots
        if type(self.command) is Cancel:
            return [
                OrderCancelled(symbol, seq, ts, oid, coid, side, order.qty_lots - remaining, remaining, "user", account),
                LevelChanged(symbol, seq + 1, ts, side, order.price_ticks, self.level_lots),  # type: ignore[arg-type]
            ]
        if self.status is REJECTED:
            return [OrderRejected(symbol, seq, ts, oid, coid, side, order.order_type, self.code.value, account,
                                  order.price_ticks, order.qty_lots)]
        events: list[Event] = [
            OrderAccepted(symbol, seq, ts, oid, coid, side, order.order_type, order.price_ticks, order.qty_lots, account)
        ]
        fills, trades = self.fills, self.trades
        if fills:
            last = len(fills) - 1
            prices: list[int] = []
            for i, (maker, _lots) in enumerate(fills):
                maker_left = self.last_maker_lots if i == last else 0
                events.append(TradeExecuted(symbol, seq + 1, ts, trades[i]))
                events.append(OrderUpdated(symbol, seq + 2, ts, maker.order_id, maker.client_order_id, maker.side,
                                           FILLED if maker_left == 0 else PARTIALLY_FILLED,
                                           maker.qty_lots - maker_left, maker_left, True, maker.account))
                seq += 2
                if not prices or prices[-1] != maker.price_ticks:
                    prices.append(maker.price_ticks)  # type: ignore[arg-type]
            seq += 1
            events.append(OrderUpdated(symbol, seq, ts, oid, coid, side, FILLED if remaining == 0 else PARTIALLY_FILLED,
                                       order.qty_lots - remaining, remaining, False, account))
            maker_side = SELL if side is BUY else BUY
            for price in prices:
                seq += 1
                events.append(LevelChanged(symbol, seq, ts, maker_side, price, 0 if price != prices[-1] else self.level_lots))
        for maker, total in self.prevented:
            events.append(OrderCancelled(symbol, seq + 1, ts, maker.order_id, maker.client_order_id, maker.side,
                                         maker.qty_lots - maker.remaining_lots, maker.remaining_lots, STP_REASON,
                                         maker.account))
            events.append(LevelChanged(symbol, seq + 2, ts, maker.side, maker.price_ticks, total))  # type: ignore[arg-type]
            seq += 2
        if remaining:
            seq += 1
            if self.stopped:
                events.append(OrderCancelled(symbol, seq, ts, oid, coid, side, order.qty_lots - remaining, remaining,
                                             STP_REASON, account))
            elif order.order_type is LIMIT:
                events.append(LevelChanged(symbol, seq, ts, side, order.price_ticks, self.rest_lots))  # type: ignore[arg-type]
            else:
                events.append(OrderCancelled(symbol, seq, ts, oid, coid, side, order.qty_lots - remaining, remaining,
                                             order.order_type.value, account))
        return events

    def __repr__(self) -> str:
        oid = self.order.order_id if self.order is not None else None
        return (f"Result({self.code.value}, order_id={oid}, status={self.status}, remaining_lots={self.remaining_lots}, "
                f"trades={len(self.trades)})")
