"""The engine's queries: books, orders, trades and statistics, rendered by the codec.

A mixin of :class:`engine.matcher.MatchingEngine`, kept apart from its commands: every
method here reads under the engine lock and changes nothing.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from engine import codec
from engine.book import OrderBook
from engine.events import Event
from engine.market import Market
from engine.symbols import SymbolConfig

if TYPE_CHECKING:
    from collections.abc import Callable


class Queries:
    """Read-only access to a :class:`MatchingEngine`'s state."""

    _markets: dict[str, Market]
    _lock: threading.Lock
    clock: "Callable[[], int]"

    @property
    def symbols(self) -> list[str]:
        """The configured symbols, in the order they were added. O(symbols)."""
        return list(self._markets)

    @property
    def lock(self) -> threading.Lock:
        """The engine's command lock, for callers that must see or change state in one step
        (replay); hold it only briefly and call only ``*_locked`` methods."""
        return self._lock

    def market(self, symbol: str) -> Market | None:
        """A configured symbol's state (read-only use), or None. O(1)."""
        return self._market_or_none(symbol)

    def get_symbol_config(self, symbol: str) -> SymbolConfig | None:
        """A symbol's trading rules, or None. O(1)."""
        market = self._market_or_none(symbol)
        return market.config if market is not None else None

    def get_order_book(self, symbol: str) -> OrderBook | None:
        """The book of a configured symbol, or None; never creates one. O(1)."""
        market = self._market_or_none(symbol)
        return market.book if market is not None else None

    def get_book_snapshot(self, symbol: str, levels: int = 10) -> dict[str, Any]:
        """Top levels: bids highest first, asks lowest first, as [price, quantity] strings. O(levels log levels)."""
        market = self._market_or_none(symbol)
        if market is None:
            return codec.symbol_not_found(symbol)
        with self._lock:
            return codec.book_dict(market, levels, self.clock())

    def get_bbo(self, symbol: str) -> dict[str, Any]:
        """Best bid and offer with their quantities, spread and mid. O(1)."""
        market = self._market_or_none(symbol)
        if market is None:
            return codec.symbol_not_found(symbol)
        with self._lock:
            return codec.bbo_dict(market)

    def get_order_status(self, symbol: str | None, order_id: int | str, account: int | None = None) -> dict[str, Any]:
        """Status of a resting or finished order (finished ones within the history limit). O(symbols).

        With ``account``, another account's order is answered exactly like an unknown one.
        """
        oid = codec.parse_order_id(order_id)
        if symbol is None:
            markets = list(self._markets.values())
        else:
            market = self._market_or_none(symbol)
            if market is None:
                return codec.symbol_not_found(symbol)
            markets = [market]
        with self._lock:
            for market in markets:
                order = market.find_order(oid) if oid is not None else None
                if order is not None and (account is None or order.account == account):
                    return codec.order_dict(market, order)
        return codec.order_not_found(order_id)

    def get_order_by_client_id(self, symbol: str, client_order_id: str, account: int | None = None) -> dict[str, Any]:
        """The live order with this client id, else the newest finished one the engine still keeps.

        O(1) for a live order; O(history) to search the finished ones.
        """
        market = self._market_or_none(symbol)
        if market is None:
            return codec.symbol_not_found(symbol)
        with self._lock:
            order = market.live_by_client_id(client_order_id, account) if type(client_order_id) is str else None
            if order is None:
                order = market.find_by_client_id(client_order_id, account)
            if order is not None:
                return codec.order_dict(market, order)
        return codec.order_not_found(client_order_id)

    def get_recent_trades(self, symbol: str, limit: int = 100, before_trade_id: int | None = None) -> dict[str, Any]:
        """Recent trades of a symbol, newest first. O(trades kept)."""
        market = self._market_or_none(symbol)
        if market is None:
            return codec.symbol_not_found(symbol)
        with self._lock:
            out = []
            for trade in reversed(market.recent_trades):
                if before_trade_id is not None and trade.trade_id >= before_trade_id:
                    continue
                out.append(codec.trade_dict(market, trade))
                if len(out) >= limit:
                    break
        return {"symbol": market.symbol, "trades": out}

    def get_statistics(self, symbol: str | None = None) -> dict[str, Any]:
        """Counters for one symbol, or for all with engine totals. O(symbols)."""
        with self._lock:
            if symbol is not None:
                market = self._market_or_none(symbol)
                if market is None:
                    return codec.symbol_not_found(symbol)
                return codec.statistics_dict(market)
            per_symbol = {s: codec.statistics_dict(m) for s, m in self._markets.items()}
        return {
            "symbols": per_symbol,
            "total_orders": sum(m.orders_accepted + m.orders_rejected for m in self._markets.values()),
            "total_trades": sum(m.trade_count for m in self._markets.values()),
            "resting_orders": sum(len(m.book) for m in self._markets.values()),
        }

    def event_to_dict(self, event: Event) -> dict[str, Any]:
        """Render an event with Decimal strings, adding ``event_type``. O(1)."""
        return codec.event_dict(self._markets[event.symbol], event)

    def _market_or_none(self, symbol: object) -> Market | None:
        return self._markets.get(symbol) if type(symbol) is str else None  # type: ignore[arg-type]
