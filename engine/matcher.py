"""MatchingEngine: one entry, ``execute(command) -> Result``, for every command, live or replayed.

The engine does no I/O and reads no clock but its injected one.  Each command runs
under one lock; its events go to the listeners after the state change is complete
(still under the lock, so per-symbol sequences reach listeners in order).
Listeners must be quick (e.g. enqueue).  The string-in, dict-out methods
(``submit_order``, ``cancel_order``, ``get_book_snapshot``, ...) are thin wrappers:
:mod:`engine.codec` parses their input into commands and renders the results.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from engine import balances, codec, self_trade
from engine.book import Trade
from engine.accounts import Account, Accounts, digest, split_key
from engine.commands import (AddKey, Cancel, Command, CommandJournal, CreateAccount, Deposit, SetAccountStatus,
                             SetKeyStatus, SetSelfTradePrevention, Submit, Withdraw)
from engine.balances import (check_money, lots_for_quote, order_lock, price_assets, requirement, settle,
                             square_taker)
from engine.errors import (
    DuplicateClientOrderIdError,
    EngineError,
    ErrorCode,
    RejectReason,
    ResultCode,
    SymbolNotFoundError,
    ValidationError,
)
from engine.events import Event, LevelChanged, TradeExecuted
from engine.market import Market
from engine.presets import add_crypto_symbols, add_forex_symbols
from engine.queries import Queries
from engine.strings import StringEntry
from engine.order import (CANCELLED, FILLED, FOK, LIMIT, MARKET, ORDER_TYPE_OF, PARTIALLY_FILLED, PENDING, REJECTED,
                          SIDE_OF, Order, OrderType, Side)
from engine.results import EXECUTED_CODES, NO_FILLS, NO_TRADES, Result
from engine.sequencing import Clock, IdSource, wall_clock_ns
from engine.symbols import FeeCalculator, SymbolConfig

__all__ = [
    "MatchingEngine",
    "SymbolConfig",
    "FeeCalculator",
    "EngineError",
    "ValidationError",
    "SymbolNotFoundError",
    "DuplicateClientOrderIdError",
    "ErrorCode",
    "RejectReason",
    "ResultCode",
    "create_crypto_engine",
    "create_forex_engine",
]

log = logging.getLogger(__name__)

EventListener = Callable[[Event], None]
DictHandler = Callable[[dict[str, Any]], None]

MAX_CLIENT_ORDER_ID_LENGTH = codec.MAX_CLIENT_ORDER_ID_LENGTH
STATE_VERSION = 5  # 4 had accounts without balances; 5 adds balances, fees and asset units
MAX_UNITS = 2**63 - 1  # ticks and lots fit a signed 64-bit integer (the journal's record format)
_new_tuple = tuple.__new__


class MatchingEngine(Queries, StringEntry):
    """A multi-symbol price-time priority matching engine.

    ``ids`` and ``clock`` are the only sources of ids and timestamps, so the same
    commands with the same ids and times reproduce the same state and events.
    """

    def __init__(
        self,
        fee_calculator: FeeCalculator | None = None,
        *,
        ids: IdSource | None = None,
        clock: Clock | None = None,
        history_limit: int = 100_000,
        recent_trades_limit: int = 1_000,
        journal: CommandJournal | None = None,
    ) -> None:
        self.fee_calculator = fee_calculator or FeeCalculator()
        self.ids = ids or IdSource()
        self.clock: Clock = clock or wall_clock_ns
        self.history_limit = history_limit
        self.recent_trades_limit = recent_trades_limit
        self._markets: dict[str, Market] = {}
        self._lock = threading.Lock()
        self._listeners: list[EventListener] = []
        self._trade_handlers: list[DictHandler] = []
        self._order_handlers: list[DictHandler] = []
        self._emitting = False  # any listener or handler registered
        self.journal = journal  # told of every executed command, stamped, in order
        self.accounts = Accounts()  # empty unless account commands are executed
        accounts = self.accounts
        self._account_commands: dict[type, Callable[[Any], Result]] = {
            CreateAccount: lambda cmd: accounts.create(cmd, self.clock), AddKey: lambda cmd: accounts.add_key(cmd, self.clock),
            SetKeyStatus: accounts.set_key_status, SetAccountStatus: accounts.set_account_status,
            SetSelfTradePrevention: accounts.set_self_trade_prevention,
            Deposit: lambda cmd: accounts.deposit(cmd, self.clock), Withdraw: lambda cmd: accounts.withdraw(cmd, self.clock),
        }

    # ---- SETUP -----------------------------------------------------------------

    def add_symbol(self, config: SymbolConfig) -> None:
        """Configure a symbol and create its book. O(1)."""
        with self._lock:
            if config.symbol in self._markets:
                raise ValueError(f"symbol {config.symbol} is already configured")
            fees = self.fee_calculator
            if config.maker_fee_rate is not None or config.taker_fee_rate is not None:
                fees = FeeCalculator(
                    config.maker_fee_rate if config.maker_fee_rate is not None else fees.maker_fee_rate,
                    config.taker_fee_rate if config.taker_fee_rate is not None else fees.taker_fee_rate,
                )
            market = Market(config, fees, self.history_limit, self.recent_trades_limit)
            self._markets[config.symbol] = market
            try:
                price_assets(self._markets, self.accounts)
            except ValueError:
                del self._markets[config.symbol]
                raise

    def add_event_listener(self, listener: EventListener) -> None:
        """Call ``listener(event)`` for every event, in sequence order. O(1)."""
        self._listeners.append(listener)
        self._emitting = True

    def add_trade_handler(self, handler: DictHandler) -> None:
        """Call ``handler(trade_dict)`` for every trade. O(1)."""
        self._trade_handlers.append(handler)
        self._emitting = True

    def add_order_handler(self, handler: DictHandler) -> None:
        """Call ``handler(order_event_dict)`` for every order event (maker and taker). O(1)."""
        self._order_handlers.append(handler)
        self._emitting = True

    # ---- COMMANDS --------------------------------------------------------------

    def execute(self, command: Command) -> Result:
        """Validate and execute one command; return its result. Never raises for bad input.

        A command carrying a recorded ``order_id`` / ``ts_ns`` (from a journal) runs
        with them; otherwise the injected id source and clock give them.  A refused
        command (any code but OK and the matching rejections) changes nothing.
        O(log levels + fills) for an order, O(orders at the level) for a cancel.
        """
        with self._lock:
            # execute_locked's body, inline: a call less is 6% of the whole on the hot path.
            # The two must stay the same (replay, which runs execute_locked, is tested against live).
            cls = command.__class__
            if cls is Submit:
                result = self._submit(command)  # type: ignore[arg-type]
            elif cls is Cancel:
                result = self._cancel(command)  # type: ignore[arg-type]
            else:
                return self._account_command(command)
            if result.code in _EXECUTED and (self.journal is not None or self._emitting):
                self._publish(result)
            return result

    def execute_locked(self, command: Command) -> Result:
        """:meth:`execute` for a caller that holds :attr:`lock` (a replay of many commands). Same complexity."""
        cls = command.__class__
        if cls is Submit:
            result = self._submit(command)  # type: ignore[arg-type]
        elif cls is Cancel:
            result = self._cancel(command)  # type: ignore[arg-type]
        else:
            return self._account_command(command)
        if result.code in _EXECUTED and (self.journal is not None or self._emitting):
            self._publish(result)
        return result

    _execute_locked = execute_locked  # the same function: a subclass overriding one must override both

    def _account_command(self, command: Any) -> Result:
        """Run an account command; an executed one goes to the journal (stamped) with no events."""
        handler = self._account_commands.get(command.__class__)
        if handler is None:
            return Result(ResultCode.INVALID_COMMAND, command)
        journal = self.journal
        if journal is not None and journal.failed:
            return Result(ResultCode.JOURNAL_UNAVAILABLE, command)
        result = handler(command)
        if result.code is _OK and journal is not None:
            journal.record(result.command, [])
        return result

    def _publish(self, result: Result) -> None:
        """Hand an executed command to the journal (stamped, with its events, in one step) and its events
        to the listeners."""
        events = result.events
        journal = self.journal
        if journal is not None:
            journal.record(_stamped(result), events)
        if self._emitting:
            self._dispatch(events)

    def _submit(self, cmd: Submit) -> Result:
        if self.journal is not None and self.journal.failed:
            return Result(ResultCode.JOURNAL_UNAVAILABLE, cmd)
        market = self._markets.get(cmd.symbol) if type(cmd.symbol) is str else None
        if market is None:
            return Result(ResultCode.UNKNOWN_SYMBOL if type(cmd.symbol) is str else ResultCode.INVALID_SYMBOL, cmd)
        side = cmd.side
        if type(side) is not Side:
            side = SIDE_OF.get(side) if type(side) is str else None  # equal strings mean the same side
            if side is None:
                return Result(ResultCode.INVALID_SIDE, cmd)
        otype = cmd.order_type
        if type(otype) is not OrderType:
            otype = ORDER_TYPE_OF.get(otype) if type(otype) is str else None
            if otype is None:
                return Result(ResultCode.INVALID_ORDER_TYPE, cmd)
        lots = cmd.qty_lots
        if cmd.quote_qty is not None:  # a market buy for an amount of the quote asset (and no quantity)
            buyer = self.accounts.by_id.get(cmd.account) if type(cmd.account) is int else None
            lots = ResultCode.INVALID_QUOTE_QUANTITY if lots is not None or buyer is None else lots_for_quote(
                market, side, otype, cmd.account, cmd.quote_qty, cmd.stp if cmd.stp is not None else buyer.stp)
            if lots.__class__ is ResultCode:
                return Result(lots, cmd)  # type: ignore[arg-type]
        if type(lots) is not int or lots > MAX_UNITS:
            return Result(ResultCode.INVALID_NUMBER, cmd)
        if lots < market.min_lots:
            return Result(ResultCode.QUANTITY_BELOW_MIN, cmd)
        if lots > market.max_lots:
            return Result(ResultCode.QUANTITY_ABOVE_MAX, cmd)
        price = cmd.price_ticks
        if otype is MARKET:
            if price is not None:
                return Result(ResultCode.PRICE_NOT_ALLOWED, cmd)
        else:
            if price is None:
                return Result(ResultCode.PRICE_REQUIRED, cmd)
            if type(price) is not int or price > MAX_UNITS:
                return Result(ResultCode.INVALID_NUMBER, cmd)
            if price <= 0:
                return Result(ResultCode.PRICE_NOT_POSITIVE, cmd)
            if market.min_notional_units and price * lots * market.value_factor < market.min_notional_units:
                return Result(ResultCode.NOTIONAL_BELOW_MIN, cmd)
        post_only = cmd.post_only
        if post_only is not False:
            if post_only is not True:
                return Result(ResultCode.INVALID_POST_ONLY, cmd)
            if otype is not LIMIT:
                return Result(ResultCode.POST_ONLY_NOT_LIMIT, cmd)
        account = cmd.account
        if account is not None:
            owner = self.accounts.by_id.get(account) if type(account) is int else None
            if owner is None:
                return Result(ResultCode.UNKNOWN_ACCOUNT if type(account) is int else ResultCode.INVALID_ACCOUNT_ID, cmd)
            if not owner.enabled:
                return Result(ResultCode.ACCOUNT_DISABLED, cmd)
        coid = cmd.client_order_id
        if coid is not None:
            if type(coid) is not str or not 0 < len(coid) <= MAX_CLIENT_ORDER_ID_LENGTH or not coid.isprintable():
                return Result(ResultCode.INVALID_CLIENT_ORDER_ID, cmd)
            if (coid if account is None else (account, coid)) in market.client_ids:
                return Result(ResultCode.CLIENT_ORDER_ID_IN_USE, cmd)
        stp = None
        if account is not None:
            stp = cmd.stp if cmd.stp is not None else owner.stp  # type: ignore[possibly-undefined]
            if stp not in self_trade.MODES:
                return Result(ResultCode.INVALID_SELF_TRADE_PREVENTION, cmd)
            if stp == self_trade.NONE:
                stp = None
            money = market.money
            if money is None:
                return Result(ResultCode.UNKNOWN_ASSET, cmd)
            asset, need = requirement(money, market.book, side, price, lots, account, stp)
            have = owner.available.get(asset, 0)  # type: ignore[possibly-undefined]
            if have < need:
                return Result(ResultCode.INSUFFICIENT_BALANCE, cmd, detail=(asset, need, have))
        oid = cmd.order_id
        if oid is None:
            oid = self.ids.order_id()
        elif type(oid) is not int:
            return Result(ResultCode.INVALID_ORDER_ID, cmd)
        elif not self.ids.claim_order_id(oid):
            return Result(ResultCode.ORDER_ID_ALREADY_USED, cmd)
        ts = cmd.ts_ns
        if ts is None:
            ts = self.clock()
        symbol = market.symbol
        order = Order(oid, symbol, side, otype, price, lots, coid, ts, account)
        book = market.book
        seq = book.sequence + 1

        if post_only and book.would_cross(side, price):  # type: ignore[arg-type]
            return self._reject(market, cmd, order, ResultCode.POST_ONLY_WOULD_TAKE)
        if otype is FOK and not (book.can_fill(side, price, lots) if stp is None else
                                 self_trade.fillable(book, side, price, account, stp, lots) >= lots):  # type: ignore[arg-type]
            return self._reject(market, cmd, order, ResultCode.FOK_NOT_FILLABLE)

        if account is not None:
            balances.lock(owner, asset, need)  # type: ignore[possibly-undefined]
        market.orders_accepted += 1
        remaining = lots
        status = PENDING
        trades: Any = NO_TRADES  # lists only for an order that trades
        fills: Any = NO_FILLS
        last_maker_lots = level_lots = rest_lots = 0
        first_seq = seq
        prevented: Any = ()
        stopped = False
        if book.would_cross(side, price):
            fills = []
            if stp is None:
                remaining = book.match(side, price, lots, fills)
            else:
                remaining, own, stopped = self_trade.match(book, side, price, lots, fills, account, stp)  # type: ignore[arg-type]
                if own:
                    for maker in own:
                        market.reasons[maker.order_id] = self_trade.REASON
                        self._retire(market, maker)
                    prevented = tuple((m, book.level_total(m.side, m.price_ticks)) for m in own)  # type: ignore[arg-type]
                    seq += 2 * len(own)
                if stopped:
                    status = CANCELLED
                    market.reasons[oid] = self_trade.REASON
        if fills:
            trades = []
            count = len(fills)
            tid = self.ids.trade_ids(count)
            volume = value = 0
            touched = 0
            last_price = None
            client_ids = market.client_ids
            remember = market.remember
            for maker, fill_lots in fills:
                maker_price = maker.price_ticks
                trades.append(_new_tuple(Trade, (tid, symbol, maker_price, fill_lots, side, maker.order_id, oid, ts,
                                                 maker.account, account)))
                tid += 1
                volume += fill_lots
                value += maker_price * fill_lots
                if maker_price != last_price:
                    touched += 1
                    last_price = maker_price
                if maker.status is FILLED:
                    if maker.account is not None:
                        del self.accounts.by_id[maker.account].live[maker.order_id]
                    if maker.client_order_id is not None:
                        del client_ids[maker.client_order_id if maker.account is None
                                       else (maker.account, maker.client_order_id)]
                    remember(maker)
            market.recent_trades.extend(trades)
            market.trade_count += count
            market.volume_lots += volume
            market.notional_units += value * market.value_factor
            market.last_price_ticks = last_price
            if self.accounts.by_id:
                by_id = self.accounts.by_id
                if account is None or any(m.account is None for m, _ in fills):
                    if account is not None or any(m.account is not None for m, _ in fills):
                        self.accounts.mixed = True
                paid = settle(market.money, self.accounts.fees, fills, order, owner if account is not None else None,  # type: ignore[possibly-undefined]
                              by_id)
            last_maker = fills[-1][0]
            last_maker_lots = last_maker.remaining_lots
            level_lots = book.level_total(last_maker.side, last_price)  # type: ignore[arg-type]
            order.remaining_lots = remaining
            status = FILLED if remaining == 0 else PARTIALLY_FILLED
            seq += 2 * count + 1 + touched
        if remaining:
            seq += 1
            if otype is LIMIT and not stopped:
                rest_lots = book.rest(order)
                if account is not None:
                    owner.live[oid] = order  # type: ignore[possibly-undefined]
                if coid is not None:
                    market.client_ids[coid if account is None else (account, coid)] = order
            else:
                status = CANCELLED
        order.status = status
        if status is FILLED or status is CANCELLED:
            market.remember(order)
        if account is not None:
            square_taker(market.money, owner, order, need, paid if trades else 0, remaining,  # type: ignore[possibly-undefined]
                         status is not CANCELLED and remaining > 0)
        book.sequence = seq
        return _new_tuple(Result, (_OK, cmd, order, status, remaining, trades, fills, first_seq,
                                   last_maker_lots, level_lots, rest_lots, ts, None, prevented, stopped))

    def _reject(self, market: Market, cmd: Submit, order: Order, code: ResultCode) -> Result:
        order.status = REJECTED
        market.orders_rejected += 1
        book = market.book
        book.sequence += 1
        market.remember(order)
        return Result(code, cmd, order, REJECTED, order.qty_lots, first_sequence=book.sequence, ts_ns=order.ts_ns)

    def _cancel(self, cmd: Cancel) -> Result:
        if self.journal is not None and self.journal.failed:
            return Result(ResultCode.JOURNAL_UNAVAILABLE, cmd)
        market = self._markets.get(cmd.symbol) if type(cmd.symbol) is str else None
        if market is None:
            return Result(ResultCode.UNKNOWN_SYMBOL if type(cmd.symbol) is str else ResultCode.INVALID_SYMBOL, cmd)
        oid, coid, account = cmd.order_id, cmd.client_order_id, cmd.account
        if account is not None and type(account) is not int:
            return Result(ResultCode.INVALID_ACCOUNT_ID, cmd)
        book = market.book
        if oid is not None:
            if type(oid) is not int:
                return Result(ResultCode.INVALID_ORDER_ID, cmd)
            order = book.get_order(oid)
        elif coid is not None:
            if type(coid) is not str:
                return Result(ResultCode.INVALID_CLIENT_ORDER_ID, cmd)
            order = market.client_ids.get(coid if account is None else (account, coid))
        else:
            return Result(ResultCode.ORDER_ID_REQUIRED, cmd)
        if order is None or (account is not None and order.account != account):
            # another account's order is answered exactly like an unknown one
            known = market.find_order(oid) if oid is not None else market.find_by_client_id(coid, account)  # type: ignore[arg-type]
            if known is None or (account is not None and known.account != account):
                return Result(ResultCode.UNKNOWN_ORDER, cmd)
            return Result(ResultCode.ORDER_NOT_LIVE, cmd, known, known.status, known.remaining_lots)
        ts = cmd.ts_ns
        if ts is None:
            ts = self.clock()
        book.cancel(order.order_id)
        self._retire(market, order)
        first_seq = book.sequence + 1
        book.sequence = first_seq + 1
        level_lots = book.level_total(order.side, order.price_ticks)  # type: ignore[arg-type]
        # The cancel's own time is the events' time; the order keeps its entry time.
        return _new_tuple(Result, (_OK, cmd, order, CANCELLED, order.remaining_lots, NO_TRADES, NO_FILLS, first_seq, 0,
                                   level_lots, 0, ts, None, (), False))

    # ---- ACCOUNTS ------------------------------------------------------------------

    def authenticate(self, api_key: object) -> tuple[Account | None, str | None]:
        """The enabled account of an active key, and the key id (for logs); see :meth:`Accounts.authenticate`.

        The secret is hashed before the lock is taken: matching never waits for it.
        """
        parts = split_key(api_key)
        if parts is None:
            return None, None
        key_id, secret = parts
        secret_digest = digest(secret)
        with self._lock:
            return self.accounts.verify(key_id, secret_digest), key_id

    def _retire(self, market: Market, order: Order) -> None:
        """Bookkeeping for an order just cancelled from the book: its lock, its indexes, the history. O(1)."""
        if order.account is not None:
            owner = self.accounts.by_id[order.account]
            del owner.live[order.order_id]
            balances.release(owner, *order_lock(market.money, order))
        if order.client_order_id is not None:
            del market.client_ids[order.client_order_id if order.account is None
                                  else (order.account, order.client_order_id)]
        market.remember(order)

    def cancel_all(self, symbol: str) -> int:
        """Cancel every resting order of a symbol (each a journaled ``Cancel``); return how many. O(n)."""
        market = self._market_or_none(symbol)
        if market is None:
            return 0
        with self._lock:
            orders = market.book.resting_orders()
            for order in orders:
                self._execute_locked(Cancel(market.symbol, order.order_id))
        return len(orders)

    # ---- SNAPSHOTS -------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to continue exactly where the engine is now, as plain data. Takes the lock. O(n log n)."""
        with self._lock:
            return self.snapshot_locked()

    def snapshot_locked(self) -> dict[str, Any]:
        """:meth:`snapshot` for a caller that holds :attr:`lock`."""
        return {"version": STATE_VERSION, "next_order_id": self.ids.next_order_id,
                "next_trade_id": self.ids.next_trade_id,
                "markets": {symbol: m.export() for symbol, m in self._markets.items()},
                "accounts": self.accounts.export()}

    def restore(self, state: dict[str, Any]) -> None:
        """Load a :meth:`snapshot` into an engine with the same symbols and empty books. O(n log levels).

        Raises ValueError if the snapshot does not fit this engine.
        """
        if not isinstance(state, dict) or state.get("version") not in (1, 2, 3, STATE_VERSION):  # 4: accounts without balances, never released
            version = state.get("version") if isinstance(state, dict) else None
            raise ValueError(f"snapshot format {version!r} is not supported (expected {STATE_VERSION})")
        with self._lock:
            if set(state["markets"]) != set(self._markets):
                raise ValueError(f"snapshot symbols {sorted(state['markets'])} differ from the engine's "
                                 f"{sorted(self._markets)}")
            for market in self._markets.values():
                if len(market.book) or market.history:
                    raise ValueError(f"{market.symbol}: the market is not empty")
            if len(self.accounts):
                raise ValueError("the engine already has accounts")
            self.ids.next_order_id = state["next_order_id"]
            self.ids.next_trade_id = state["next_trade_id"]
            for symbol, data in state["markets"].items():
                self._markets[symbol].load(data)
            if "accounts" in state:
                self.accounts.load(state["accounts"])
                for market in self._markets.values():
                    for order in market.book.resting_orders():
                        if order.account is not None:
                            self.accounts.by_id[order.account].live[order.order_id] = order

    def check_invariants(self) -> None:
        """Raise AssertionError unless every market is consistent (see :meth:`Market.check_invariants`). O(n log n)."""
        with self._lock:
            for market in self._markets.values():
                market.check_invariants()
            self.accounts.check_invariants()
            live: dict[int, dict[int, Order]] = {}
            for market in self._markets.values():  # every order's owner exists and lists it
                for order in market.book.resting_orders():
                    if order.account is not None:
                        assert order.account in self.accounts.by_id, f"{order} has no account"
                        live.setdefault(order.account, {})[order.order_id] = order
            for account_id, account in self.accounts.by_id.items():
                assert account.live == live.get(account_id, {}), f"account {account_id}'s live orders differ"
            check_money(self._markets, self.accounts)


    # ---- internals -------------------------------------------------------------

    def _dispatch(self, events: list[Event]) -> None:
        """Deliver a command's events to listeners; a failing listener is logged, never fatal."""
        for listener in self._listeners:
            for event in events:
                try:
                    listener(event)
                except Exception:  # a listener must never corrupt a book or fail a command
                    log.exception("event listener %r failed", listener)
        if self._trade_handlers or self._order_handlers:
            for event in events:
                if isinstance(event, TradeExecuted):
                    handlers = self._trade_handlers
                elif isinstance(event, LevelChanged):
                    continue
                else:
                    handlers = self._order_handlers
                if handlers:
                    payload = self.event_to_dict(event)
                    for handler in handlers:
                        try:
                            handler(payload)
                        except Exception:
                            log.exception("handler %r failed", handler)


_EXECUTED = EXECUTED_CODES


def _stamped(result: Result) -> Command:
    """The executed command as the journal records it: with the order id and time it was given."""
    cmd, order = result.command, result.order
    assert order is not None
    if cmd.__class__ is Cancel:
        return cmd if (cmd.order_id is not None and cmd.client_order_id is None and cmd.ts_ns is not None) \
            else cmd.stamped(order.order_id, result.ts_ns)
    return cmd if (cmd.order_id is not None and cmd.ts_ns is not None) else cmd.stamped(order.order_id, result.ts_ns)
_OK = ResultCode.OK


def create_crypto_engine(**kwargs: Any) -> MatchingEngine:
    """An engine with the crypto preset symbols (see :mod:`engine.presets`)."""
    engine = MatchingEngine(FeeCalculator("0.001", "0.001"), **kwargs)
    add_crypto_symbols(engine)
    return engine


def create_forex_engine(**kwargs: Any) -> MatchingEngine:
    """An engine with the forex preset symbols (see :mod:`engine.presets`)."""
    engine = MatchingEngine(FeeCalculator("0.0001", "0.0001"), **kwargs)
    add_forex_symbols(engine)
    return engine
