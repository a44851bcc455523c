"""Where ids and timestamps come from: one injectable place, so replay is exact."""
from __future__ import annotations

import time
from typing import Callable

Clock = Callable[[], int]
"""A function returning the current time in integer nanoseconds."""

wall_clock_ns: Clock = time.time_ns


class IdSource:
    """Hands out increasing order and trade ids; its state can be saved and restored.

    The engine takes every id through these methods, so a subclass may change how
    ids are made; a recorded id is accepted through :meth:`claim_order_id`.
    """

    __slots__ = ("next_order_id", "next_trade_id")

    def __init__(self, next_order_id: int = 1, next_trade_id: int = 1) -> None:
        self.next_order_id = next_order_id
        self.next_trade_id = next_trade_id

    def order_id(self) -> int:
        """A new order id. O(1)."""
        oid = self.next_order_id
        self.next_order_id = oid + 1
        return oid

    def claim_order_id(self, order_id: int) -> bool:
        """Accept a recorded order id (replay); False if it was already handed out. O(1)."""
        if order_id < self.next_order_id:
            return False
        self.next_order_id = order_id + 1
        return True

    def trade_ids(self, count: int) -> int:
        """Reserve ``count`` consecutive trade ids; return the first. O(1)."""
        tid = self.next_trade_id
        self.next_trade_id = tid + count
        return tid
