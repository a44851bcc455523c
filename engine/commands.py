"""Accepted commands as the engine executed them, with the ids and times it assigned.

A journal records these; applying the same commands, in the same order, to the
same starting state reproduces the same state and events exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Union


@dataclass(frozen=True, slots=True)
class SubmitCommand:
    symbol: str
    side: str
    order_type: str
    qty_lots: int
    price_ticks: int | None
    client_order_id: str | None
    post_only: bool
    order_id: int
    ts_ns: int


@dataclass(frozen=True, slots=True)
class CancelCommand:
    symbol: str
    order_id: int
    ts_ns: int


Command = Union[SubmitCommand, CancelCommand]


class CommandJournal(Protocol):
    """Where the engine reports each accepted command, inside its lock, in execution order.

    ``record`` must only buffer (no I/O): durability is the caller's business.
    """

    def record(self, command: Command) -> None: ...


class NullJournal:
    """Records nothing: for tests, benchmarks and in-memory servers."""

    def record(self, command: Command) -> None:
        return None
