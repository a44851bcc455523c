"""Where ids and timestamps come from: one injectable place, so replay is exact."""
from __future__ import annotations

import time
from typing import Callable

Clock = Callable[[], int]
"""A function returning the current time in integer nanoseconds."""

wall_clock_ns: Clock = time.time_ns


class IdSource:
    """Hands out increasing order and trade ids; its state can be saved and restored."""

    __slots__ = ("next_order_id", "next_trade_id")

    def __init__(self, next_order_id: int = 1, next_trade_id: int = 1) -> None:
        self.next_order_id = next_order_id
        self.next_trade_id = next_trade_id

    def order_id(self) -> int:
        oid = self.next_order_id
        self.next_order_id = oid + 1
        return oid

    def trade_id(self) -> int:
        tid = self.next_trade_id
        self.next_trade_id = tid + 1
        return tid
