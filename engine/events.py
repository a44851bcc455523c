"""Events the engine emits after each state change, in integer ticks and lots.

Every event carries its symbol's sequence number, which grows by one per event,
so a consumer can detect gaps.  ``engine.codec.event_dict`` renders one
with Decimal strings for publishing.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.book import Trade
from engine.order import OrderType, Side, Status


@dataclass(frozen=True, slots=True)
class Event:
    symbol: str
    sequence: int
    ts_ns: int


@dataclass(frozen=True, slots=True)
class OrderAccepted(Event):
    """A valid order entered the engine (before any matching)."""

    order_id: int
    client_order_id: str | None
    side: Side
    order_type: OrderType
    price_ticks: int | None
    qty_lots: int
    account: int | None = None  # the owner (None without accounts)


@dataclass(frozen=True, slots=True)
class TradeExecuted(Event):
    """A maker fill; one per maker order touched."""

    trade: Trade  # carries the maker's and the taker's accounts


@dataclass(frozen=True, slots=True)
class OrderUpdated(Event):
    """An order's fill state changed (status is partially_filled or filled), or it rested."""

    order_id: int
    client_order_id: str | None
    side: Side
    status: Status
    filled_lots: int
    remaining_lots: int
    is_maker: bool
    account: int | None = None  # the owner (None without accounts)


@dataclass(frozen=True, slots=True)
class OrderCancelled(Event):
    """An order left the book unfilled or partly filled; reason: user, ioc, market."""

    order_id: int
    client_order_id: str | None
    side: Side
    filled_lots: int
    remaining_lots: int
    reason: str
    account: int | None = None  # the owner (None without accounts)


@dataclass(frozen=True, slots=True)
class OrderRejected(Event):
    """A valid order that could not trade as asked (FOK not fillable, post-only would take)."""

    order_id: int
    client_order_id: str | None
    side: Side
    order_type: OrderType
    reason: str
    account: int | None = None  # the owner (None without accounts)
    price_ticks: int | None = None  # as the order was sent
    qty_lots: int = 0


@dataclass(frozen=True, slots=True)
class LevelChanged(Event):
    """The total at one price level changed; ``total_lots`` 0 means the level is gone."""

    side: Side
    price_ticks: int
    total_lots: int
