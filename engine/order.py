"""The Order record and the vocabulary of sides, order types and statuses."""
from __future__ import annotations

BUY = "buy"
SELL = "sell"
SIDES = (BUY, SELL)

LIMIT = "limit"
MARKET = "market"
IOC = "ioc"
FOK = "fok"
ORDER_TYPES = (LIMIT, MARKET, IOC, FOK)

PENDING = "pending"
PARTIALLY_FILLED = "partially_filled"
FILLED = "filled"
CANCELLED = "cancelled"
REJECTED = "rejected"
STATUSES = (PENDING, PARTIALLY_FILLED, FILLED, CANCELLED, REJECTED)
LIVE_STATUSES = (PENDING, PARTIALLY_FILLED)


class Order:
    """One order, in integer ticks and lots.

    ``price_ticks`` is ``None`` for a market order.  ``remaining_lots`` is what is
    still open (or was open when the order ended); ``filled_lots`` is derived.
    Hot-path object: ``__slots__`` and no behaviour beyond a few derived values.
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
    )

    def __init__(
        self,
        order_id: int,
        symbol: str,
        side: str,
        order_type: str,
        price_ticks: int | None,
        qty_lots: int,
        client_order_id: str | None = None,
        ts_ns: int = 0,
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

    @property
    def filled_lots(self) -> int:
        return self.qty_lots - self.remaining_lots

    @property
    def is_live(self) -> bool:
        return self.status == PENDING or self.status == PARTIALLY_FILLED

    def __repr__(self) -> str:
        return (
            f"Order(id={self.order_id}, {self.symbol} {self.side} {self.order_type} "
            f"price_ticks={self.price_ticks} qty_lots={self.qty_lots} "
            f"remaining_lots={self.remaining_lots} status={self.status})"
        )
