"""The Order record and the vocabulary of sides, order types and statuses.

Sides, types and statuses are string enums: members compare equal to their
values ("buy" == Side.BUY), so a string built at run time means the same as the
member, and the engine can still compare members by identity on its hot path.
"""
from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    LIMIT = "limit"
    MARKET = "market"
    IOC = "ioc"
    FOK = "fok"


class Status(StrEnum):
    PENDING = "pending"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


BUY, SELL = Side.BUY, Side.SELL
SIDES = (BUY, SELL)
LIMIT, MARKET, IOC, FOK = OrderType.LIMIT, OrderType.MARKET, OrderType.IOC, OrderType.FOK
ORDER_TYPES = (LIMIT, MARKET, IOC, FOK)
PENDING, PARTIALLY_FILLED, FILLED = Status.PENDING, Status.PARTIALLY_FILLED, Status.FILLED
CANCELLED, REJECTED = Status.CANCELLED, Status.REJECTED
STATUSES = tuple(Status)
LIVE_STATUSES = (PENDING, PARTIALLY_FILLED)

# Exact values to members: a dict lookup hashes and compares by value, never by identity.
SIDE_OF: dict[str, Side] = {s.value: s for s in Side}
ORDER_TYPE_OF: dict[str, OrderType] = {t.value: t for t in OrderType}
STATUS_OF: dict[str, Status] = {s.value: s for s in Status}


class Order:
    """One resting (or finished) order, in integer ticks and lots.

    ``price_ticks`` is ``None`` for a market order.  ``remaining_lots`` is what is
    still open (or was open when the order ended).  Hot-path object: ``__slots__``
    and no behaviour beyond a few derived values.
    """

    __slots__ = (
        "order_id",
        "symbol",
        "side",
        "order_type",
        "price_ticks",
        "qty_lots",
        "remaining_lots",
        "status",
        "client_order_id",
        "ts_ns",
        "account",
    )

    def __init__(
        self,
        order_id: int,
        symbol: str,
        side: Side,
        order_type: OrderType,
        price_ticks: int | None,
        qty_lots: int,
        client_order_id: str | None = None,
        ts_ns: int = 0,
        account: int | None = None,
    ) -> None:
        self.order_id = order_id
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.price_ticks = price_ticks
        self.qty_lots = qty_lots
        self.remaining_lots = qty_lots
        self.status = PENDING
        self.client_order_id = client_order_id
        self.ts_ns = ts_ns
        self.account = account  # the owner; None in an engine used without accounts

    @property
    def filled_lots(self) -> int:
        return self.qty_lots - self.remaining_lots

    @property
    def is_live(self) -> bool:
        return self.status is PENDING or self.status is PARTIALLY_FILLED

    def __repr__(self) -> str:
        return (
            f"Order(id={self.order_id}, {self.symbol} {self.side} {self.order_type} "
            f"price_ticks={self.price_ticks} qty_lots={self.qty_lots} "
            f"remaining_lots={self.remaining_lots} status={self.status})"
        )
