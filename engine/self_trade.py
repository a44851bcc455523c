"""Self-trade prevention: an order never trades with a resting order of its own account.

Modes (per order, else the account's default, else ``cancel_taker``), as at the major venues:

- ``cancel_taker``: matching stops at the first own resting order; what is left of the
  incoming order is cancelled (a limit order does not rest).
- ``cancel_maker``: each own resting order met is cancelled, and matching goes on.
- ``cancel_both``: the own resting order is cancelled, and the incoming order as in ``cancel_taker``.
- ``none``: no prevention.

Trades with other accounts' orders ahead of an own order in priority still happen.
"""
from __future__ import annotations

from engine.book import Fill, OrderBook
from engine.order import Order, Side

CANCEL_TAKER, CANCEL_MAKER, CANCEL_BOTH, NONE = "cancel_taker", "cancel_maker", "cancel_both", "none"
MODES = (CANCEL_TAKER, CANCEL_MAKER, CANCEL_BOTH, NONE)
DEFAULT = CANCEL_TAKER
REASON = "SELF_TRADE_PREVENTED"


def fillable(book: OrderBook, side: Side, limit: int | None, account: int, mode: str, cap: int) -> int:
    """How much of ``cap`` lots an order could take at once under ``mode`` (for FOK). O(makers walked)."""
    total = 0
    for order in book.makers(side, limit):
        if order.account == account:
            if mode == CANCEL_MAKER:
                continue
            break
        total += order.remaining_lots
        if total >= cap:
            return cap
    return total


def match(book: OrderBook, side: Side, limit: int | None, lots: int, fills: list[Fill], account: int,
          mode: str) -> tuple[int, list[Order], bool]:
    """:meth:`OrderBook.match` that stops at, or cancels, the account's own resting orders.

    Returns the lots left, the own orders cancelled from the book (to be retired by the caller),
    and whether the incoming order must stop (its remainder cancelled).  O(makers walked).
    """
    remaining = lots
    prevented: list[Order] = []
    while remaining:
        before, own = _before_own(book, side, limit, account, remaining)
        if before:
            left = book.match(side, limit, before, fills)
            remaining -= before - left
        if own is None or not remaining:
            return remaining, prevented, False
        if mode != CANCEL_TAKER:
            book.cancel(own.order_id)
            prevented.append(own)
        if mode != CANCEL_MAKER:
            return remaining, prevented, True
    return remaining, prevented, False


def _before_own(book: OrderBook, side: Side, limit: int | None, account: int, cap: int) -> tuple[int, Order | None]:
    """Lots ahead of the account's first own resting order within the limit (at most ``cap``), and that order."""
    total = 0
    for order in book.makers(side, limit):
        if order.account == account:
            return total, order
        total += order.remaining_lots
        if total >= cap:
            return cap, None
    return total, None
