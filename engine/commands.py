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
                 "order_id", "ts_ns", "account", "stp", "quote_qty")

    def __init__(self, symbol: str, side: Side, order_type: OrderType, price_ticks: int | None, qty_lots: int,
                 client_order_id: str | None = None, post_only: bool = False, order_id: int | None = None,
                 ts_ns: int | None = None, account: int | None = None, stp: str | None = None,
                 quote_qty: int | None = None) -> None:
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.price_ticks = price_ticks
        self.qty_lots = qty_lots
        self.client_order_id = client_order_id
        self.post_only = post_only
        self.order_id = order_id
        self.ts_ns = ts_ns
        self.account = account  # the owner; None for an engine used without accounts
        self.stp = stp  # self-trade prevention (engine.self_trade); None: the account's default
        self.quote_qty = quote_qty  # a market buy by amount: spend at most this (quote units, fees included)

    def stamped(self, order_id: int, ts_ns: int) -> "Submit":
        """This command with the id and time the engine gave it (what the journal records)."""
        return Submit(self.symbol, self.side, self.order_type, self.price_ticks, self.qty_lots, self.client_order_id,
                      self.post_only, order_id, ts_ns, self.account, self.stp, self.quote_qty)


class Cancel(_Value):
    """Cancel a resting order by ``order_id`` or by ``client_order_id`` (one is required).

    With an ``account``, only that account's orders are found: another account's
    order is answered exactly like an unknown one.  Without, any order by ``order_id``
    (an engine used without accounts, or the venue's own cancels); a ``client_order_id``
    without an account names only orders placed without one.
    """

    __slots__ = ("symbol", "order_id", "client_order_id", "ts_ns", "account")

    def __init__(self, symbol: str, order_id: int | None = None, client_order_id: str | None = None,
                 ts_ns: int | None = None, account: int | None = None) -> None:
        self.symbol = symbol
        self.order_id = order_id
        self.client_order_id = client_order_id
        self.ts_ns = ts_ns
        self.account = account

    def stamped(self, order_id: int, ts_ns: int) -> "Cancel":
        """The recorded form: by order id, with the time the engine gave it."""
        return Cancel(self.symbol, order_id, None, ts_ns, self.account)


# ---- accounts ----------------------------------------------------------------------
# Made at the edge with the key's secret already reduced to its digest, so a journal
# never holds a secret and replaying one rebuilds the same accounts and keys.

class CreateAccount(_Value):
    """Open an account with a unique name. ``account_id`` is set only on recorded commands."""

    __slots__ = ("name", "account_id", "ts_ns")

    def __init__(self, name: str, account_id: int | None = None, ts_ns: int | None = None) -> None:
        self.name = name
        self.account_id = account_id
        self.ts_ns = ts_ns


class AddKey(_Value):
    """Give an account a key: its public id and the SHA-256 digest (hex) of its secret."""

    __slots__ = ("account_id", "key_id", "digest", "ts_ns")

    def __init__(self, account_id: int, key_id: str, digest: str, ts_ns: int | None = None) -> None:
        self.account_id = account_id
        self.key_id = key_id
        self.digest = digest
        self.ts_ns = ts_ns


class SetKeyStatus(_Value):
    """Set a key ``active``, ``disabled`` or ``revoked`` (revoked is final)."""

    __slots__ = ("key_id", "status")

    def __init__(self, key_id: str, status: str) -> None:
        self.key_id = key_id
        self.status = status


class SetAccountStatus(_Value):
    """Enable or disable an account: a disabled account's keys are refused and it cannot place orders."""

    __slots__ = ("account_id", "enabled")

    def __init__(self, account_id: int, enabled: bool) -> None:
        self.account_id = account_id
        self.enabled = enabled


class SetSelfTradePrevention(_Value):
    """Set an account's default self-trade prevention mode (see engine.self_trade)."""

    __slots__ = ("account_id", "mode")

    def __init__(self, account_id: int, mode: str) -> None:
        self.account_id = account_id
        self.mode = mode


class Deposit(_Value):
    """Credit an account's available balance of ``asset`` with ``amount`` of its smallest units."""

    __slots__ = ("account_id", "asset", "amount", "ts_ns")

    def __init__(self, account_id: int, asset: str, amount: int, ts_ns: int | None = None) -> None:
        self.account_id = account_id
        self.asset = asset
        self.amount = amount
        self.ts_ns = ts_ns


class Withdraw(_Value):
    """Debit an account's available balance of ``asset``; refused if it holds less."""

    __slots__ = ("account_id", "asset", "amount", "ts_ns")

    def __init__(self, account_id: int, asset: str, amount: int, ts_ns: int | None = None) -> None:
        self.account_id = account_id
        self.asset = asset
        self.amount = amount
        self.ts_ns = ts_ns


AccountCommand = Union[CreateAccount, AddKey, SetKeyStatus, SetAccountStatus, SetSelfTradePrevention, Deposit, Withdraw]
Command = Union[Submit, Cancel, AccountCommand]



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
