"""Per-symbol state held by the engine: book, rules, fees, history and counters,
and the rendering of its integers as Decimal strings."""
from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

from engine.book import OrderBook, Trade
from engine.events import (
    Event,
    LevelChanged,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderUpdated,
    TradeExecuted,
)
from engine.numeric import Memo, format_trimmed, format_units
from engine.order import CANCELLED, PENDING, REJECTED, Order
from engine.symbols import FeeCalculator, SymbolConfig


class Market:
    """Everything the engine keeps for one symbol."""

    __slots__ = (
        "config",
        "book",
        "fees",
        "history",
        "history_limit",
        "client_ids",
        "recent_trades",
        "min_lots",
        "max_lots",
        "min_notional_units",
        "orders_accepted",
        "orders_rejected",
        "trade_count",
        "volume_lots",
        "notional_units",
        "last_price_ticks",
        "fee_decimals",
        "value_decimals",
        "_mid_text",
        "zero_fee",
        "value_factor",
    )

    def __init__(self, config: SymbolConfig, fees: FeeCalculator, history_limit: int, trade_limit: int) -> None:
        self.config = config
        self.book = OrderBook(config.symbol)
        self.fees = fees
        self.history: OrderedDict[int, tuple] = OrderedDict()
        self.history_limit = history_limit
        self.client_ids: dict[str, Order] = {}
        self.recent_trades: deque[Trade] = deque(maxlen=trade_limit)
        self.min_lots = config.min_lots
        self.max_lots = config.max_lots
        self.min_notional_units = config.min_notional_units
        self.orders_accepted = 0
        self.orders_rejected = 0
        self.trade_count = 0
        self.volume_lots = 0
        self.notional_units = 0
        self.last_price_ticks: int | None = None
        self.value_decimals = config.value_decimals
        self.fee_decimals = config.value_decimals + fees.decimals
        self.zero_fee = format_units(0, config.price_scale.decimals)
        self.value_factor = config.price_scale.unit * config.qty_scale.unit  # ticks x lots -> value units
        scale = config.price_scale
        # (bid + ask) / 2 may fall on half a tick: one more decimal keeps it exact.
        self._mid_text: dict[int, str] = Memo(
            lambda twice_mid: format_trimmed(twice_mid * scale.unit * 5, scale.decimals + 1, scale.decimals))

    def remember(self, order: Order) -> None:
        """Keep a finished order for status queries, evicting the oldest past the limit.

        Stored as a plain tuple of ints and strings: the garbage collector stops
        tracking such tuples, so a full history does not lengthen GC pauses.
        """
        history = self.history
        history[order.order_id] = (
            order.order_id, order.symbol, order.side, order.order_type, order.price_ticks, order.qty_lots,
            order.remaining_lots, order.status, order.client_order_id, order.ts_ns,
        )
        if len(history) > self.history_limit:
            history.popitem(last=False)

    def find_order(self, order_id: int) -> Order | None:
        """A resting order, or a finished one rebuilt from the history. O(1)."""
        order = self.book.get_order(order_id)
        if order is None:
            record = self.history.get(order_id)
            if record is not None:
                order = Order(*record[:6], client_order_id=record[8], ts_ns=record[9])
                order.remaining_lots = record[6]
                order.status = record[7]
        return order

    # ---- rendering -------------------------------------------------------------

    def price(self, ticks: int | None) -> str | None:
        return None if ticks is None else self.config.price_scale.text[ticks]

    def qty(self, lots: int) -> str:
        return self.config.qty_scale.text[lots]

    def trade_dict(self, trade: Trade) -> dict[str, Any]:
        trade_id, symbol, price, lots = trade[:4]
        value = price * lots * self.value_factor
        fees = self.fees
        maker_fee = self.fee_text(fees.fee_units(value, True))
        taker_fee = maker_fee if fees.same_rates else self.fee_text(fees.fee_units(value, False))
        return {
            "trade_id": trade_id,
            "symbol": symbol,
            "price": self.config.price_scale.text[price],
            "quantity": self.config.qty_scale.text[lots],
            "aggressor_side": trade.aggressor_side,
            "maker_order_id": trade.maker_order_id,
            "taker_order_id": trade.taker_order_id,
            "maker_fee": maker_fee,
            "taker_fee": taker_fee,
            "trade_value": self.value_text(value),
            "timestamp": trade.ts_ns / 1e9,
        }

    def value_text(self, units: int) -> str:
        """A price x quantity amount, exact, trailing zeros trimmed to the price's decimals."""
        return format_trimmed(units, self.value_decimals, self.config.price_scale.decimals)

    def fee_text(self, units: int) -> str:
        return format_trimmed(units, self.fee_decimals, self.config.price_scale.decimals)

    def order_dict(self, order: Order) -> dict[str, Any]:
        return {
            "order_id": order.order_id,
            "client_order_id": order.client_order_id,
            "symbol": order.symbol,
            "side": order.side,
            "order_type": order.order_type,
            "price": self.price(order.price_ticks),
            "quantity": self.qty(order.qty_lots),
            "filled_quantity": self.qty(order.qty_lots - order.remaining_lots),
            "remaining_quantity": self.qty(order.remaining_lots),
            "status": order.status,
            "timestamp": order.ts_ns / 1e9,
        }

    def event_dict(self, event: Event) -> dict[str, Any]:
        """Render an event with Decimal strings, adding ``event_type``."""
        market = self
        base: dict[str, Any] = {"symbol": event.symbol, "sequence": event.sequence, "timestamp": event.ts_ns / 1e9}
        if isinstance(event, TradeExecuted):
            base.update(market.trade_dict(event.trade))
            base["event_type"] = "trade"
        elif isinstance(event, OrderAccepted):
            base.update(
                event_type="accepted", order_id=event.order_id, client_order_id=event.client_order_id,
                side=event.side, order_type=event.order_type, price=market.price(event.price_ticks),
                quantity=market.qty(event.qty_lots), status=PENDING,
            )
        elif isinstance(event, OrderUpdated):
            base.update(
                event_type=event.status, order_id=event.order_id, client_order_id=event.client_order_id,
                side=event.side, status=event.status, filled_quantity=market.qty(event.filled_lots),
                remaining_quantity=market.qty(event.remaining_lots), is_maker=event.is_maker,
            )
        elif isinstance(event, OrderCancelled):
            base.update(
                event_type="cancelled", order_id=event.order_id, client_order_id=event.client_order_id,
                side=event.side, status=CANCELLED, filled_quantity=market.qty(event.filled_lots),
                remaining_quantity=market.qty(event.remaining_lots), reason=event.reason,
            )
        elif isinstance(event, OrderRejected):
            base.update(
                event_type="rejected", order_id=event.order_id, client_order_id=event.client_order_id,
                side=event.side, order_type=event.order_type, status=REJECTED, reason=event.reason,
            )
        elif isinstance(event, LevelChanged):
            base.update(
                event_type="level", side=event.side, price=market.price(event.price_ticks),
                quantity=market.qty(event.total_lots),
            )
        return base

    def bbo(self) -> dict[str, Any]:
        """Best bid/offer with quantities, spread and mid. O(1); texts come from memo tables."""
        book = self.book
        bids, asks = book._bid_prices._lists, book._ask_prices._lists  # ends of the SortedLists
        price, qty = self.config.price_scale.text, self.config.qty_scale.text
        out: dict[str, Any] = {"symbol": book.symbol, "bid": None, "ask": None, "bid_quantity": None,
                               "ask_quantity": None, "spread": None, "mid": None, "sequence": book.sequence}
        if bids:
            bid = bids[-1][-1]
            out["bid"] = price[bid]
            out["bid_quantity"] = qty[book._bids[bid].total_lots]
        if asks:
            ask = asks[0][0]
            out["ask"] = price[ask]
            out["ask_quantity"] = qty[book._asks[ask].total_lots]
            if bids:
                out["spread"] = price[ask - bid]
                out["mid"] = self._mid_text[bid + ask]
        return out

    def statistics(self) -> dict[str, Any]:
        book = self.book
        return {
            "symbol": book.symbol,
            "orders_accepted": self.orders_accepted,
            "orders_rejected": self.orders_rejected,
            "trade_count": self.trade_count,
            "volume": self.qty(self.volume_lots),
            "notional": self.value_text(self.notional_units),
            "last_price": self.price(self.last_price_ticks),
            "resting_orders": len(book),
            "bid_levels": book.level_count("buy"),
            "ask_levels": book.level_count("sell"),
            "best_bid": self.price(book.best_bid()),
            "best_ask": self.price(book.best_ask()),
            "sequence": book.sequence,
        }
