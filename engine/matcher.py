"""MatchingEngine: validates commands, runs them against the books, emits events.

The engine does no I/O.  Each command runs under one lock; its events go to the
listeners after the state change is complete (still in order, so per-symbol
sequences reach listeners in order).  Listeners must be quick (e.g. enqueue).
"""
from __future__ import annotations

import logging
import threading
import time
from decimal import Decimal
from typing import Any, Callable, Iterable

from engine.book import OrderBook, Trade
from engine.commands import CancelCommand, Command, CommandJournal, SubmitCommand
from engine.errors import (
    DuplicateClientOrderIdError,
    EngineError,
    ErrorCode,
    RejectReason,
    SymbolNotFoundError,
    ValidationError,
)
from engine.events import (
    Event,
    LevelChanged,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderUpdated,
    TradeExecuted,
)
from engine.market import Market
from engine.order import (
    BUY,
    CANCELLED,
    FILLED,
    FOK,
    LIMIT,
    PARTIALLY_FILLED,
    REJECTED,
    SELL,
    Order,
)
from engine.sequencing import Clock, IdSource, wall_clock_ns
from engine.symbols import FeeCalculator, SymbolConfig
from engine.validation import validate_order

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
    "create_crypto_engine",
    "create_forex_engine",
]

log = logging.getLogger(__name__)


EventListener = Callable[[Event], None]
DictHandler = Callable[[dict[str, Any]], None]


class MatchingEngine:
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
        self.journal = journal  # told of every accepted command, in order

    # ---- SETUP -----------------------------------------------------------------

    def add_symbol(self, config: SymbolConfig) -> None:
        """Configure a symbol and create its book."""
        with self._lock:
            if config.symbol in self._markets:
                raise ValueError(f"symbol {config.symbol} is already configured")
            fees = self.fee_calculator
            if config.maker_fee_rate is not None or config.taker_fee_rate is not None:
                fees = FeeCalculator(
                    config.maker_fee_rate if config.maker_fee_rate is not None else fees.maker_fee_rate,
                    config.taker_fee_rate if config.taker_fee_rate is not None else fees.taker_fee_rate,
                )
            self._markets[config.symbol] = Market(config, fees, self.history_limit, self.recent_trades_limit)

    def add_event_listener(self, listener: EventListener) -> None:
        """Call ``listener(event)`` for every event, in sequence order."""
        self._listeners.append(listener)
        self._emitting = True

    def add_trade_handler(self, handler: DictHandler) -> None:
        """Call ``handler(trade_dict)`` for every trade."""
        self._trade_handlers.append(handler)
        self._emitting = True

    def add_order_handler(self, handler: DictHandler) -> None:
        """Call ``handler(order_event_dict)`` for every order event (maker and taker)."""
        self._order_handlers.append(handler)
        self._emitting = True

    # ---- QUERIES ---------------------------------------------------------------

    @property
    def symbols(self) -> list[str]:
        return list(self._markets)

    @property
    def lock(self) -> threading.Lock:
        """The engine's command lock, for callers that must see or change state in one step
        (state export, replay); hold it only briefly and call only ``*_locked`` methods."""
        return self._lock

    def market(self, symbol: str) -> Market | None:
        """A configured symbol's state and its renderers (read-only use), or None."""
        return self._market_or_none(symbol)

    def get_symbol_config(self, symbol: str) -> SymbolConfig | None:
        market = self._markets.get(symbol) if isinstance(symbol, str) else None
        return market.config if market is not None else None

    def get_order_book(self, symbol: str) -> OrderBook | None:
        """The book of a configured symbol, or None; never creates one."""
        market = self._markets.get(symbol) if isinstance(symbol, str) else None
        return market.book if market is not None else None

    def get_book_snapshot(self, symbol: str, levels: int = 10) -> dict[str, Any]:
        """Top levels: bids highest first, asks lowest first, as [price, quantity] strings."""
        market = self._market_or_none(symbol)
        if market is None:
            return _symbol_not_found(symbol)
        with self._lock:
            book = market.book
            price, qty = market.config.price_scale.format, market.config.qty_scale.format
            return {
                "symbol": book.symbol,
                "bids": [[price(p), qty(q)] for p, q in book.depth(BUY, levels)],
                "asks": [[price(p), qty(q)] for p, q in book.depth(SELL, levels)],
                "sequence": book.sequence,
                "timestamp": time.time_ns() / 1e9,
            }

    def get_bbo(self, symbol: str) -> dict[str, Any]:
        """Best bid and offer with their quantities, spread and mid."""
        market = self._market_or_none(symbol)
        if market is None:
            return _symbol_not_found(symbol)
        with self._lock:
            return market.bbo()

    def get_order_status(self, symbol: str | None, order_id: int | str) -> dict[str, Any]:
        """Status of a resting or finished order (finished ones within the history limit)."""
        oid = _order_id(order_id)
        markets: Iterable[Market]
        if symbol is None:
            markets = list(self._markets.values())
        else:
            market = self._market_or_none(symbol)
            if market is None:
                return _symbol_not_found(symbol)
            markets = (market,)
        with self._lock:
            for market in markets:
                order = market.find_order(oid) if oid is not None else None
                if order is not None:
                    return market.order_dict(order)
        return {
            "error": f"order {order_id!r} was not found",
            "error_code": ErrorCode.ORDER_NOT_FOUND.value,
            "reason": "UNKNOWN_ORDER",
        }

    def get_recent_trades(self, symbol: str, limit: int = 100, before_trade_id: int | None = None) -> dict[str, Any]:
        """Recent trades of a symbol, newest first."""
        market = self._market_or_none(symbol)
        if market is None:
            return _symbol_not_found(symbol)
        with self._lock:
            out = []
            for trade in reversed(market.recent_trades):
                if before_trade_id is not None and trade.trade_id >= before_trade_id:
                    continue
                out.append(market.trade_dict(trade))
                if len(out) >= limit:
                    break
        return {"symbol": market.config.symbol, "trades": out}

    def get_statistics(self, symbol: str | None = None) -> dict[str, Any]:
        """Counters for one symbol, or for all with engine totals."""
        with self._lock:
            if symbol is not None:
                market = self._market_or_none(symbol)
                if market is None:
                    return _symbol_not_found(symbol)
                return market.statistics()
            per_symbol = {s: m.statistics() for s, m in self._markets.items()}
        return {
            "symbols": per_symbol,
            "total_orders": sum(m.orders_accepted + m.orders_rejected for m in self._markets.values()),
            "total_trades": sum(m.trade_count for m in self._markets.values()),
            "resting_orders": sum(len(m.book) for m in self._markets.values()),
        }

    def event_to_dict(self, event: Event) -> dict[str, Any]:
        """Render an event with Decimal strings, adding ``event_type``."""
        return self._markets[event.symbol].event_dict(event)

    # ---- COMMANDS --------------------------------------------------------------

    def submit_order(
        self,
        symbol: str,
        side: str,
        order_type: str,
        quantity: str | int | Decimal,
        price: str | int | Decimal | None = None,
        client_order_id: str | None = None,
        *,
        post_only: bool = False,
    ) -> dict[str, Any]:
        """Validate and execute one order; return its result or an error dict.

        Never raises for bad input: an error leaves every book unchanged.
        """
        started = time.perf_counter_ns()
        try:
            market, side, order_type, qty_lots, price_ticks = validate_order(
                self._markets, symbol, side, order_type, quantity, price, client_order_id, post_only
            )
        except EngineError as exc:
            return exc.to_dict()
        with self._lock:
            if client_order_id is not None and client_order_id in market.client_ids:
                return DuplicateClientOrderIdError(
                    RejectReason.CLIENT_ORDER_ID_IN_USE,
                    f"client_order_id {client_order_id!r} is already used by a live {symbol} order",
                ).to_dict()
            ids = self.ids
            order_id = ids.next_order_id
            ids.next_order_id = order_id + 1
            order = Order(order_id, symbol, side, order_type, price_ticks, qty_lots, client_order_id, self.clock())
            trades, events = self._execute(market, order, post_only)
            if self.journal is not None:
                self.journal.record(SubmitCommand(symbol, side, order_type, qty_lots, price_ticks, client_order_id,
                                                  post_only, order.order_id, order.ts_ns))
            result = self._result(market, order, trades)
            if events:
                self._dispatch(market, events)
        result["processing_time_ms"] = (time.perf_counter_ns() - started) / 1e6
        return result

    def cancel_order(self, symbol: str, order_id: int | str | None = None, client_order_id: str | None = None) -> dict[str, Any]:
        """Cancel a resting order by id or client id; ``success`` false if not live."""
        market = self._market_or_none(symbol)
        if market is None:
            return {"success": False, **_symbol_not_found(symbol)}
        if order_id is None and client_order_id is None:
            return {
                "success": False, "error": "order_id or client_order_id is required",
                "error_code": ErrorCode.VALIDATION_ERROR.value, "reason": "ORDER_ID_REQUIRED",
            }
        oid = _order_id(order_id) if order_id is not None else None
        with self._lock:
            order = None
            if oid is not None:
                order = market.book.get_order(oid)
            elif isinstance(client_order_id, str):
                order = market.client_ids.get(client_order_id)
            if order is None:
                known = market.find_order(oid) if oid is not None else None
                return {
                    "success": False,
                    "error": f"order {order_id if order_id is not None else client_order_id!r} is not live"
                    + (f" (status {known.status})" if known is not None else " or not known"),
                    "error_code": ErrorCode.ORDER_NOT_FOUND.value,
                    "reason": "ORDER_NOT_LIVE" if known is not None else "UNKNOWN_ORDER",
                    "order_id": oid,
                    "status": known.status if known is not None else None,
                }
            ts = self.clock()
            events = self._cancel_locked(market, order, "user", ts)
            if self.journal is not None:
                self.journal.record(CancelCommand(market.config.symbol, order.order_id, ts))
            result = {"success": True, **market.order_dict(order)}
            self._dispatch(market, events)
        return result

    def cancel_all(self, symbol: str) -> int:
        """Cancel every resting order of a symbol; return how many."""
        market = self._market_or_none(symbol)
        if market is None:
            return 0
        with self._lock:
            orders = market.book.resting_orders()
            events: list[Event] = []
            for order in orders:
                ts = self.clock()
                events.extend(self._cancel_locked(market, order, "user", ts))
                if self.journal is not None:
                    self.journal.record(CancelCommand(market.config.symbol, order.order_id, ts))
            self._dispatch(market, events)
        return len(orders)

    def apply(self, command: Command) -> None:
        """Re-execute a recorded command with its recorded ids and time (replay).

        Builds no result; events go to listeners as usual. Raises ValueError for a
        command that cannot apply (unknown symbol, order not live, id out of order),
        which means the journal does not belong to this state.
        """
        if isinstance(command, SubmitCommand):
            self.apply_submit(command.symbol, command.side, command.order_type, command.qty_lots, command.price_ticks,
                              command.client_order_id, command.post_only, command.order_id, command.ts_ns)
        else:
            self.apply_cancel(command.symbol, command.order_id, command.ts_ns)

    def apply_submit(self, symbol: str, side: str, order_type: str, qty_lots: int, price_ticks: int | None,
                     client_order_id: str | None, post_only: bool, order_id: int, ts_ns: int) -> None:
        """:meth:`apply` for a recorded order, from its fields."""
        with self._lock:
            self.apply_submit_locked(symbol, side, order_type, qty_lots, price_ticks, client_order_id, post_only,
                                     order_id, ts_ns)

    def apply_submit_locked(self, symbol: str, side: str, order_type: str, qty_lots: int, price_ticks: int | None,
                            client_order_id: str | None, post_only: bool, order_id: int, ts_ns: int) -> None:
        """:meth:`apply_submit` for a caller that holds ``_lock`` across many records (recovery)."""
        market = self._markets.get(symbol)
        if market is None:
            raise ValueError(f"journal names unknown symbol {symbol!r}")
        ids = self.ids
        if order_id < ids.next_order_id:
            raise ValueError(f"order id {order_id} was already used")
        ids.next_order_id = order_id + 1
        order = Order(order_id, symbol, side, order_type, price_ticks, qty_lots, client_order_id, ts_ns)
        _, events = self._execute(market, order, post_only)
        if self.journal is not None:
            self.journal.record(SubmitCommand(symbol, side, order_type, qty_lots, price_ticks, client_order_id,
                                              post_only, order_id, ts_ns))
        if events:
            self._dispatch(market, events)

    def apply_cancel(self, symbol: str, order_id: int, ts_ns: int) -> None:
        """:meth:`apply` for a recorded cancel."""
        with self._lock:
            self.apply_cancel_locked(symbol, order_id, ts_ns)

    def apply_cancel_locked(self, symbol: str, order_id: int, ts_ns: int) -> None:
        """:meth:`apply_cancel` for a caller that holds ``_lock``."""
        market = self._markets.get(symbol)
        if market is None:
            raise ValueError(f"journal names unknown symbol {symbol!r}")
        order = market.book.get_order(order_id)
        if order is None:
            raise ValueError(f"cancel of order {order_id}, which is not resting")
        events = self._cancel_locked(market, order, "user", ts_ns)
        if self.journal is not None:
            self.journal.record(CancelCommand(symbol, order_id, ts_ns))
        if events:
            self._dispatch(market, events)

    # ---- internals -------------------------------------------------------------

    def _market_or_none(self, symbol: object) -> Market | None:
        return self._markets.get(symbol) if type(symbol) is str else None  # type: ignore[arg-type]

    def _execute(self, market: Market, order: Order, post_only: bool) -> tuple[list[Trade], list[Event]]:
        """Run a validated order against the book. Called under the lock."""
        book = market.book
        symbol, side, ts = order.symbol, order.side, order.ts_ns
        seq = book.sequence
        events: list[Event] = []
        order_type = order.order_type
        reject_reason = None
        if post_only and book.would_cross(side, order.price_ticks):  # type: ignore[arg-type]
            reject_reason = RejectReason.POST_ONLY_WOULD_TAKE.value
        elif order_type is FOK and not book.can_fill(side, order.price_ticks, order.qty_lots):
            reject_reason = RejectReason.FOK_NOT_FILLABLE.value
        # Events are built only when someone listens; sequences advance either way.
        emit = self._emitting
        if reject_reason is not None:
            order.status = REJECTED
            market.orders_rejected += 1
            seq += 1
            if emit:
                events.append(OrderRejected(symbol, seq, ts, order.order_id, order.client_order_id, side, order_type, reject_reason))
            book.sequence = seq
            market.remember(order)
            return [], events

        market.orders_accepted += 1
        seq += 1
        if emit:
            events.append(
                OrderAccepted(symbol, seq, ts, order.order_id, order.client_order_id, side, order_type, order.price_ticks, order.qty_lots)
            )
        trades: list[Trade] = []
        limit = order.price_ticks
        if limit is None:
            crosses = True
        elif side is BUY:
            asks = book._ask_prices._lists  # the ends of the SortedList, as in OrderBook.would_cross
            crosses = bool(asks) and asks[0][0] <= limit
        else:
            bids = book._bid_prices._lists
            crosses = bool(bids) and bids[-1][-1] >= limit
        if crosses:
            fills, remaining = book.match(side, limit, order.qty_lots)
            if fills:
                ids = self.ids
                trade_id = ids.next_trade_id
                touched: dict[int, None] = {}
                client_ids = market.client_ids
                volume = price_lots = 0
                taker_id = order.order_id
                for maker, lots in fills:
                    price = maker.price_ticks
                    trades.append(Trade(trade_id, symbol, price, lots, side, maker.order_id, taker_id, ts))  # type: ignore[arg-type]
                    trade_id += 1
                    volume += lots
                    price_lots += price * lots  # type: ignore[operator]
                    touched[price] = None  # type: ignore[index]
                    seq += 2
                    if emit:
                        events.append(TradeExecuted(symbol, seq - 1, ts, trades[-1]))
                        events.append(
                            OrderUpdated(symbol, seq, ts, maker.order_id, maker.client_order_id, maker.side, maker.status,
                                         maker.qty_lots - maker.remaining_lots, maker.remaining_lots, True)
                        )
                    if maker.status is FILLED:
                        if maker.client_order_id is not None:
                            client_ids.pop(maker.client_order_id, None)
                        market.remember(maker)
                ids.next_trade_id = trade_id
                market.recent_trades.extend(trades)
                market.trade_count += len(trades)
                market.volume_lots += volume
                market.notional_units += price_lots * market.value_factor
                market.last_price_ticks = trades[-1].price_ticks
                order.remaining_lots = remaining
                order.status = FILLED if remaining == 0 else PARTIALLY_FILLED
                seq += 1
                if emit:
                    events.append(
                        OrderUpdated(symbol, seq, ts, order.order_id, order.client_order_id, side, order.status,
                                     order.qty_lots - remaining, remaining, False)
                    )
                    maker_side = fills[0][0].side
                    for price in touched:
                        seq += 1
                        events.append(LevelChanged(symbol, seq, ts, maker_side, price, book.level_total(maker_side, price)))
                else:
                    seq += len(touched)
        if order.remaining_lots:
            if order_type is LIMIT:
                total = book.rest(order)
                if order.client_order_id is not None:
                    market.client_ids[order.client_order_id] = order
                seq += 1
                if emit:
                    events.append(LevelChanged(symbol, seq, ts, side, order.price_ticks, total))  # type: ignore[arg-type]
            else:
                order.status = CANCELLED
                seq += 1
                if emit:
                    events.append(
                        OrderCancelled(symbol, seq, ts, order.order_id, order.client_order_id, side,
                                       order.qty_lots - order.remaining_lots, order.remaining_lots, order_type)
                    )
        if order.status is FILLED or order.status is CANCELLED:
            market.remember(order)
        book.sequence = seq
        return trades, events

    def _cancel_locked(self, market: Market, order: Order, reason: str, ts: int) -> list[Event]:
        book = market.book
        book.cancel(order.order_id)
        if order.client_order_id is not None:
            market.client_ids.pop(order.client_order_id, None)
        market.remember(order)
        seq = book.sequence
        price = order.price_ticks
        events: list[Event] = [
            OrderCancelled(order.symbol, seq + 1, ts, order.order_id, order.client_order_id, order.side,
                           order.qty_lots - order.remaining_lots, order.remaining_lots, reason),
            LevelChanged(order.symbol, seq + 2, ts, order.side, price, book.level_total(order.side, price)),  # type: ignore[arg-type]
        ]
        book.sequence = seq + 2
        return events

    def _result(self, market: Market, order: Order, trades: list[Trade]) -> dict[str, Any]:
        qty = market.config.qty_scale.text.__getitem__
        result: dict[str, Any] = {
            "order_id": order.order_id,
            "client_order_id": order.client_order_id,
            "symbol": order.symbol,
            "side": order.side,
            "order_type": order.order_type,
            "status": order.status,
            "price": market.price(order.price_ticks),
            "quantity": qty(order.qty_lots),
            "filled_quantity": qty(order.qty_lots - order.remaining_lots),
            "remaining_quantity": qty(order.remaining_lots),
            "trades": [],
            "total_maker_fees": market.zero_fee,
            "total_taker_fees": market.zero_fee,
            "bbo": market.bbo(),
        }
        if trades:
            trade_dicts = [market.trade_dict(t) for t in trades]
            fees = market.fees
            value = sum([t.price_ticks * t.qty_lots for t in trades]) * market.value_factor
            result["trades"] = trade_dicts
            maker_total = market.fee_text(fees.fee_units(value, True))
            result["total_maker_fees"] = maker_total
            result["total_taker_fees"] = maker_total if fees.same_rates else market.fee_text(fees.fee_units(value, False))
        if order.status is REJECTED:
            result["reject_reason"] = (
                RejectReason.POST_ONLY_WOULD_TAKE.value if order.order_type is LIMIT else RejectReason.FOK_NOT_FILLABLE.value
            )
        return result

    def _dispatch(self, market: Market, events: list[Event]) -> None:
        """Deliver events to listeners; a failing listener is logged, never fatal."""
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


def _order_id(value: object) -> int | None:
    if type(value) is int:
        return value  # type: ignore[return-value]
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    return None


def _symbol_not_found(symbol: object) -> dict[str, Any]:
    return {
        "error": f"symbol {symbol!r} is not traded here",
        "error_code": ErrorCode.SYMBOL_NOT_FOUND.value,
        "reason": RejectReason.UNKNOWN_SYMBOL.value,
    }


# Presets live in engine.presets; imported here so that the original import path keeps working.
from engine.presets import create_crypto_engine, create_forex_engine  # noqa: E402
