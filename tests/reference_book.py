"""A deliberately naive order book used as the oracle for the engine.

Plain lists, linear scans, Decimal arithmetic in a wide exact context: slow and
obviously right.  It knows nothing of the engine's ticks, lots, heaps or indexes.

Two ways in:

* ``submit(order_id, ...)`` matches an order the caller has already numbered and
  validated (the engine's id), and returns ``(status, trades)``;
* ``place(...)`` first judges the order against the :class:`RefRules` given to the
  constructor, numbers it itself (1, 2, ... for every order that passes
  validation), then matches it, and returns a :class:`RefOutcome`.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow, localcontext
from typing import NamedTuple

# Wide enough that nothing a test sends is ever rounded; any rounding would raise.
_EXACT = Context(prec=1000, traps=[InvalidOperation, Inexact, Overflow, DivisionByZero])


@dataclass
class RefOrder:
    order_id: int
    side: str
    price: Decimal | None
    quantity: Decimal
    remaining: Decimal
    status: str = "pending"
    client_order_id: str | None = None
    reject_reason: str | None = None


@dataclass
class RefTrade:
    price: Decimal
    quantity: Decimal
    maker_order_id: int
    taker_order_id: int


@dataclass(frozen=True)
class RefRules:
    """A symbol's rules as plain decimals: prices on ``tick``, quantities on ``step``."""

    tick: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal = Decimal(0)  # price x quantity, for priced orders only


class RefOutcome(NamedTuple):
    """``code``: the order's status, or the reason it was refused (no id) or rejected (with an id)."""

    code: str
    order_id: int | None
    trades: list[RefTrade]
    remaining: Decimal | None


class ReferenceBook:
    def __init__(self, rules: RefRules | None = None) -> None:
        self.rules = rules
        self.resting: list[RefOrder] = []  # in arrival order
        self.orders: dict[int, RefOrder] = {}  # every order ever numbered, finished ones included
        self.next_order_id = 1

    # ---- validation ------------------------------------------------------------

    def refusal(self, side: str, order_type: str, quantity: Decimal, price: Decimal | None,
                client_order_id: str | None = None, post_only: bool = False) -> str | None:
        """The reason this order is refused, or None. The first failing rule, in this order:

        the form of the numbers (step, price present or absent, tick), the symbol's
        limits (min and max quantity, positive price, min notional), post-only on a
        non-limit order, then a client id held by a live order.
        """
        rules = self.rules
        assert rules is not None, "place() needs rules"
        with localcontext(_EXACT):
            if quantity % rules.step != 0:
                return "QUANTITY_NOT_ON_STEP"
            if order_type == "market":
                if price is not None:
                    return "PRICE_NOT_ALLOWED"
            elif price is None:
                return "PRICE_REQUIRED"
            elif price % rules.tick != 0:
                return "PRICE_NOT_ON_TICK"
            if quantity <= 0 or quantity < rules.min_qty:
                return "QUANTITY_BELOW_MIN"
            if quantity > rules.max_qty:
                return "QUANTITY_ABOVE_MAX"
            if price is not None and price <= 0:
                return "PRICE_NOT_POSITIVE"
            if price is not None and price * quantity < rules.min_notional:
                return "NOTIONAL_BELOW_MIN"
        if post_only and order_type != "limit":
            return "POST_ONLY_NOT_LIMIT"
        if client_order_id is not None and self._live_with_client_id(client_order_id) is not None:
            return "CLIENT_ORDER_ID_IN_USE"
        return None

    def _live_with_client_id(self, client_order_id: str) -> RefOrder | None:
        for o in self.resting:
            if o.client_order_id == client_order_id:
                return o
        return None

    # ---- commands --------------------------------------------------------------

    def place(self, side: str, order_type: str, quantity: Decimal, price: Decimal | None,
              client_order_id: str | None = None, post_only: bool = False) -> RefOutcome:
        """Validate, number and match one order."""
        reason = self.refusal(side, order_type, quantity, price, client_order_id, post_only)
        if reason is not None:
            return RefOutcome(reason, None, [], None)
        order_id = self.next_order_id
        self.next_order_id += 1
        status, trades = self.submit(order_id, side, order_type, quantity, price, post_only, client_order_id)
        order = self.orders[order_id]
        code = order.reject_reason if status == "rejected" else status
        return RefOutcome(code, order_id, trades, order.remaining)  # type: ignore[arg-type]

    def _opposite(self, side: str, limit: Decimal | None) -> list[RefOrder]:
        """Resting orders the taker may hit, best price first, then oldest."""
        if side == "buy":
            cands = [o for o in self.resting if o.side == "sell" and (limit is None or o.price <= limit)]
            return sorted(cands, key=lambda o: (o.price, o.order_id))
        cands = [o for o in self.resting if o.side == "buy" and (limit is None or o.price >= limit)]
        return sorted(cands, key=lambda o: (-o.price, o.order_id))

    def submit(self, order_id: int, side: str, order_type: str, quantity: Decimal,
               price: Decimal | None, post_only: bool = False,
               client_order_id: str | None = None) -> tuple[str, list[RefTrade]]:
        """Match an already numbered, valid order; return its status and its trades."""
        with localcontext(_EXACT):
            return self._match(order_id, side, order_type, quantity, price, post_only, client_order_id)

    def _match(self, order_id: int, side: str, order_type: str, quantity: Decimal, price: Decimal | None,
               post_only: bool, client_order_id: str | None) -> tuple[str, list[RefTrade]]:
        order = RefOrder(order_id, side, price, quantity, quantity, client_order_id=client_order_id)
        self.orders[order_id] = order
        cands = self._opposite(side, price)
        if post_only and cands:
            order.status, order.reject_reason = "rejected", "POST_ONLY_WOULD_TAKE"
            return order.status, []
        if order_type == "fok" and sum(o.remaining for o in cands) < quantity:
            order.status, order.reject_reason = "rejected", "FOK_NOT_FILLABLE"
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

    def cancel_order(self, order_id: int | None = None, client_order_id: str | None = None) -> str:
        """Cancel by id (preferred when both are given) or by the client id of a live order.

        Returns "cancelled", or the reason: ORDER_ID_REQUIRED; UNKNOWN_ORDER for an id
        never handed out or a client id no order ever held; ORDER_NOT_LIVE for an order
        (or the newest order with that client id) that has finished.  Nothing is
        forgotten, unlike the engine's bounded history.
        """
        if order_id is None:
            if client_order_id is None:
                return "ORDER_ID_REQUIRED"
            order = self._live_with_client_id(client_order_id)
            if order is None:
                held = [o for o in self.orders.values() if o.client_order_id == client_order_id]
                return "ORDER_NOT_LIVE" if held else "UNKNOWN_ORDER"
            order_id = order.order_id
        if order_id not in self.orders:
            return "UNKNOWN_ORDER"
        return "cancelled" if self.cancel(order_id) else "ORDER_NOT_LIVE"

    # ---- queries ---------------------------------------------------------------

    def depth(self, side: str, levels: int) -> list[list[Decimal]]:
        totals: dict[Decimal, Decimal] = {}
        for o in self.resting:
            if o.side == side:
                totals[o.price] = totals.get(o.price, Decimal(0)) + o.remaining  # type: ignore[index]
        prices = sorted(totals, reverse=(side == "buy"))[:levels]
        return [[p, totals[p]] for p in prices]  # type: ignore[misc]
