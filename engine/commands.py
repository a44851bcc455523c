"""Commands: what a caller asks the engine to do, as typed integer values.

``MatchingEngine.execute(command)`` is the one entry for every command, live or
replayed.  A command built by a caller carries no ids or timestamps; the engine
takes them from its injected sources and hands the journal the same command
*stamped* with them, so replaying the journal is ``execute(recorded_command)``.

Commands are ``__slots__`` classes (they are built once per message on the hot
path, and a frozen dataclass costs several times as much to construct); treat
them as immutable values: they compare by value and never change after
construction.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Union

from engine.order import OrderType, Side

if TYPE_CHECKING:
    from engine.events import Event


class _Value:
    __slots__ = ()

    def _fields(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({args})"


class Submit(_Value):
    """Place an order. ``price_ticks`` is None for a market order.

    ``order_id`` and ``ts_ns`` are set only on recorded commands (replay).
    """

    __slots__ = ("symbol", "side", "order_type", "price_ticks", "qty_lots", "client_order_id", "post_only",
                 "order_id", "ts_ns")

    def __init__(self, symbol: str, side: Side, order_type: OrderType, price_ticks: int | None, qty_lots: int,
                 client_order_id: str | None = None, post_only: bool = False, order_id: int | None = None,
                 ts_ns: int | None = None) -> None:
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.price_ticks = price_ticks
        self.qty_lots = qty_lots
        self.client_order_id = client_order_id
        self.post_only = post_only
        self.order_id = order_id
        self.ts_ns = ts_ns

    def stamped(self, order_id: int, ts_ns: int) -> "Submit":
        """This command with the id and time the engine gave it (what the journal records)."""
        return Submit(self.symbol, self.side, self.order_type, self.price_ticks, self.qty_lots, self.client_order_id,
                      self.post_only, order_id, ts_ns)


class Cancel(_Value):
    """Cancel a resting order by ``order_id`` or by ``client_order_id`` (one is required)."""

    __slots__ = ("symbol", "order_id", "client_order_id", "ts_ns")

    def __init__(self, symbol: str, order_id: int | None = None, client_order_id: str | None = None,
                 ts_ns: int | None = None) -> None:
        self.symbol = symbol
        self.order_id = order_id
        self.client_order_id = client_order_id
        self.ts_ns = ts_ns

    def stamped(self, order_id: int, ts_ns: int) -> "Cancel":
        """The recorded form: by order id, with the time the engine gave it."""
        return Cancel(self.symbol, order_id, None, ts_ns)


Command = Union[Submit, Cancel]



class CommandJournal(Protocol):
    """Where the engine reports each executed command, stamped, with its events, inside its lock, in
    execution order: one call per command, so a journal can keep a command and what it produced together.

    ``record`` must only buffer (no I/O): durability is the caller's business.  While
    ``failed`` is true the engine executes nothing (``JOURNAL_UNAVAILABLE``): a command
    that cannot be recorded must not change the state.
    """

    failed: bool

    def record(self, command: Command, events: list[Event]) -> None: ...


class NullJournal:
    """Records nothing: for tests, benchmarks and in-memory servers."""

    failed = False

    def record(self, command: Command, events: list[Event]) -> None:
        return None
