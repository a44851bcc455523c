"""A deliberately naive order book used as the oracle for the engine.

Plain lists, linear scans, Decimal arithmetic: slow and obviously right.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass
class RefOrder:
    order_id: int
    side: str
    price: Decimal | None
    quantity: Decimal
    remaining: Decimal
    status: str = "pending"


@dataclass
class RefTrade:
    price: Decimal
    quantity: Decimal
    maker_order_id: int
    taker_order_id: int


class ReferenceBook:
    def __init__(self) -> None:
        self.resting: list[RefOrder] = []  # in arrival order
        self.orders: dict[int, RefOrder] = {}

    def _opposite(self, side: str, limit: Decimal | None) -> list[RefOrder]:
        """Resting orders the taker may hit, best price first, then oldest."""
        if side == "buy":
            cands = [o for o in self.resting if o.side == "sell" and (limit is None or o.price <= limit)]
            return sorted(cands, key=lambda o: (o.price, o.order_id))
        cands = [o for o in self.resting if o.side == "buy" and (limit is None or o.price >= limit)]
        return sorted(cands, key=lambda o: (-o.price, o.order_id))

    def submit(self, order_id: int, side: str, order_type: str, quantity: Decimal,
               price: Decimal | None, post_only: bool = False) -> tuple[str, list[RefTrade]]:
        order = RefOrder(order_id, side, price, quantity, quantity)
        self.orders[order_id] = order
        cands = self._opposite(side, price)
        if post_only and cands:
            order.status = "rejected"
            return order.status, []
        if order_type == "fok" and sum(o.remaining for o in cands) < quantity:
            order.status = "rejected"
            return order.status, []
        trades = []
        for maker in cands:
            if order.remaining == 0:
                break
            qty = min(maker.remaining, order.remaining)
            maker.remaining -= qty
            order.remaining -= qty
            maker.status = "filled" if maker.remaining == 0 else "partially_filled"
            trades.append(RefTrade(maker.price, qty, maker.order_id, order_id))  # type: ignore[arg-type]
        self.resting = [o for o in self.resting if o.remaining > 0]
        if order.remaining == 0:
            order.status = "filled"
        elif order_type == "limit":
            order.status = "partially_filled" if trades else "pending"
            self.resting.append(order)
        else:
            order.status = "cancelled"
        return order.status, trades

    def cancel(self, order_id: int) -> bool:
        order = self.orders.get(order_id)
        if order is None or order not in self.resting:
            return False
        self.resting.remove(order)
        order.status = "cancelled"
        return True

    def depth(self, side: str, levels: int) -> list[list[str]]:
        totals: dict[Decimal, Decimal] = {}
        for o in self.resting:
            if o.side == side:
                totals[o.price] = totals.get(o.price, Decimal(0)) + o.remaining  # type: ignore[index]
        prices = sorted(totals, reverse=(side == "buy"))[:levels]
        return [[p, totals[p]] for p in prices]  # type: ignore[misc]
