"""The engine's boundary: strings and Decimals in, typed commands out; results and events in, dicts out.

Parsing turns a caller's fields into a :class:`~engine.commands.Submit` or
:class:`~engine.commands.Cancel` (exactly: a value off the tick or step is refused,
never rounded).  Rendering turns integer results, events, orders and trades into
the dicts of the REST API and the feeds, with Decimal strings.  This is the only
place that formats the engine's integers.
"""
from __future__ import annotations

from decimal import Decimal

from typing import Any, Mapping

from engine.book import Trade
from engine.commands import Cancel, Submit
from engine.errors import ErrorCode, ResultCode, ValidationError, error_for
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
from engine.numeric import format_trimmed
from engine.self_trade import MODES as STP_MODES
from engine.self_trade import REASON as STP_REASON
from engine.order import BUY, CANCELLED, MARKET, ORDER_TYPE_OF, PENDING, REJECTED, SELL, SIDE_OF, Order
from engine.results import Result

MAX_CLIENT_ORDER_ID_LENGTH = 64

# Names as clients may spell them.
_SIDES = {**SIDE_OF, **{k.upper(): v for k, v in SIDE_OF.items()}, **{k.capitalize(): v for k, v in SIDE_OF.items()}}
_TYPES = {**ORDER_TYPE_OF, **{k.upper(): v for k, v in ORDER_TYPE_OF.items()}}


# ---- PARSING ---------------------------------------------------------------------

def parse_submit(markets: Mapping[str, Market], symbol: Any, side: Any, order_type: Any, quantity: Any, price: Any,
                 client_order_id: Any = None, post_only: Any = False, account: int | None = None,
                 self_trade_prevention: Any = None, quote_quantity: Any = None) -> Submit:
    """An order's fields as a :class:`Submit`; raises :class:`EngineError` naming the first problem.

    Checks what needs the text: names, number syntax, tick and step.  The symbol's
    rules (minimum, maximum, notional) are checked by ``execute``, for every entry.
    """
    market = _market(markets, symbol)
    side_ = _SIDES.get(side) if isinstance(side, str) else None
    if side_ is None:
        raise ValidationError(ResultCode.INVALID_SIDE, f"side must be 'buy' or 'sell', not {_show(side)}")
    type_ = _TYPES.get(order_type) if isinstance(order_type, str) else None
    if type_ is None:
        raise ValidationError(ResultCode.INVALID_ORDER_TYPE,
                              f"order_type must be one of limit, market, ioc, fok, not {_show(order_type)}")
    if post_only is not False and post_only is not True:
        raise ValidationError(ResultCode.INVALID_POST_ONLY, "post_only must be true or false")
    config = market.config
    qty_scale = config.qty_scale
    quote_units = None
    if quote_quantity is not None:  # a market buy for an amount of the quote asset, fees included
        if quantity is not None or side_ is not BUY or type_ is not MARKET or market.money is None:
            raise ValidationError(ResultCode.INVALID_QUOTE_QUANTITY,
                                  "quote_quantity is for a market buy, instead of quantity")
        quote = market.money.quote
        quote_units = parse_amount(quote_quantity if type(quote_quantity) in (str, int) else
                                   (str(quote_quantity) if isinstance(quote_quantity, Decimal) else None),
                                   market.money.decimals[quote])  # never a float: binary, not exact
        if quote_units is None:
            raise ValidationError(ResultCode.INVALID_AMOUNT, f"quote_quantity must be a positive amount of {quote} "
                                                             f"with at most {market.money.decimals[quote]} decimals")
        lots = None
    else:
        lots = qty_scale.qty_counts[quantity] if type(quantity) is str else qty_scale.to_count(quantity, "quantity")
    ticks: int | None = None
    if type_ is not MARKET:
        if price is None:
            raise ValidationError(ResultCode.PRICE_REQUIRED, f"a {type_.value} order requires a price")
        price_scale = config.price_scale
        ticks = price_scale.price_counts[price] if type(price) is str else price_scale.to_count(price, "price")
    elif price is not None:
        raise ValidationError(ResultCode.PRICE_NOT_ALLOWED, "a market order takes no price")
    if client_order_id is not None and (
        type(client_order_id) is not str
        or not 0 < len(client_order_id) <= MAX_CLIENT_ORDER_ID_LENGTH
        or not client_order_id.isprintable()
    ):
        raise ValidationError(ResultCode.INVALID_CLIENT_ORDER_ID,
                              f"client_order_id must be 1 to {MAX_CLIENT_ORDER_ID_LENGTH} printable characters")
    if self_trade_prevention is not None and self_trade_prevention not in STP_MODES:
        raise ValidationError(ResultCode.INVALID_SELF_TRADE_PREVENTION,
                              f"self_trade_prevention must be one of {', '.join(STP_MODES)}, not {_show(self_trade_prevention)}")
    return Submit(market.symbol, side_, type_, ticks, lots, client_order_id, post_only, None, None, account,  # type: ignore[arg-type]
                  self_trade_prevention, quote_units)


def parse_cancel(markets: Mapping[str, Market], symbol: Any, order_id: Any = None,
                 client_order_id: Any = None, account: int | None = None) -> Cancel:
    """A cancel's fields as a :class:`Cancel`; raises :class:`EngineError` for an unknown symbol or no id."""
    market = _market(markets, symbol)
    if order_id is None and client_order_id is None:
        raise ValidationError(ResultCode.ORDER_ID_REQUIRED, "order_id or client_order_id is required")
    # An id that cannot be one of ours (-1 below) names no order: answered like any unknown order.
    if order_id is not None:
        oid = parse_order_id(order_id)
        return Cancel(market.symbol, oid if oid is not None else -1, None, None, account)
    if type(client_order_id) is not str:
        return Cancel(market.symbol, -1, None, None, account)
    return Cancel(market.symbol, None, client_order_id, None, account)


def parse_amount(value: object, decimals: int) -> int | None:
    """A positive amount (a decimal string, or an int) as a count of ``10**-decimals``, exactly; None if it is
    not one or has more decimals than the asset."""
    text = str(value) if type(value) is int else value
    if type(text) is not str or not 0 < len(text) <= 64 or not text.isascii():
        return None
    whole, dot, frac = text.partition(".")
    if not whole.isdigit() or (dot and not frac.isdigit()) or len(frac) > decimals or len(whole) > 24:
        return None
    units = int(whole) * 10**decimals + (int(frac.ljust(decimals, "0")) if frac else 0)
    return units if units > 0 else None


def amount_text(units: int, decimals: int) -> str:
    """An asset amount, exact, without trailing zeros past two decimals."""
    return format_trimmed(units, decimals, min(2, decimals))


def parse_order_id(value: object) -> int | None:
    """An order id from an int or a string of at most 20 ASCII digits, else None."""
    if type(value) is int:
        return value if -2**63 <= value < 2**63 else None  # type: ignore[operator]
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    return None


def _market(markets: Mapping[str, Market], symbol: Any) -> Market:
    if type(symbol) is not str:
        raise ValidationError(ResultCode.INVALID_SYMBOL, f"symbol must be a string, not {type(symbol).__name__}")
    market = markets.get(symbol)
    if market is None:
        raise error_for(ResultCode.UNKNOWN_SYMBOL, f"symbol {symbol!r} is not traded here")
    return market


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ---- RENDERING: results ----------------------------------------------------------

def submit_dict(market: Market, result: Result) -> dict[str, Any]:
    """An order's result as the API answers it (or its error dict)."""
    order = result.order
    if not result.executed or order is None:
        return error_dict(market, result)
    qty = market.config.qty_scale.text
    remaining = result.remaining_lots
    out: dict[str, Any] = {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "order_type": order.order_type,
        "status": result.status,
        "price": price_text(market, order.price_ticks),
        "quantity": qty[order.qty_lots],
        "filled_quantity": qty[order.qty_lots - remaining],
        "remaining_quantity": qty[remaining],
        "trades": [],
        "total_maker_fees": None,
        "total_taker_fees": None,
        "bbo": bbo_dict(market),
    }
    trades = result.trades
    fees = market.fees
    value = sum([t.price_ticks * t.qty_lots for t in trades]) * market.value_factor if trades else 0
    maker_total = fee_text(market, fees.fee_units(value, True))
    out["total_maker_fees"] = maker_total
    out["total_taker_fees"] = maker_total if fees.same_rates else fee_text(market, fees.fee_units(value, False))
    if trades:
        out["trades"] = [trade_dict(market, t) for t in trades]
    if result.status is REJECTED:
        out["reject_reason"] = result.code.value
    if result.stopped:
        out["cancel_reason"] = STP_REASON  # the rest was cancelled rather than trade with the account's own order
    if result.prevented:
        out["self_trade_prevented"] = [maker.order_id for maker, _ in result.prevented]  # own orders cancelled
    return out


def cancel_dict(market: Market, result: Result) -> dict[str, Any]:
    """A cancel's result as the API answers it."""
    order = result.order
    if result.executed and order is not None:
        return {"success": True, **order_dict(market, order)}
    out: dict[str, Any] = {"success": False, **error_dict(market, result)}
    if result.code is ResultCode.UNKNOWN_ORDER or result.code is ResultCode.ORDER_NOT_LIVE:
        cmd = result.command
        out["order_id"] = cmd.order_id if cmd.order_id is not None and cmd.order_id >= 0 else None
        out["status"] = result.status
    return out


def error_dict(market: Market | None, result: Result) -> dict[str, Any]:
    """A refused command as ``{"error", "error_code", "reason"}``, with a sentence a person understands."""
    code = result.code
    return {"error": message(market, result), "error_code": code.error_code.value, "reason": code.value}


def message(market: Market | None, result: Result) -> str:
    """The sentence for a refusal, with the command's numbers as decimals."""
    code, cmd = result.code, result.command
    C = ResultCode
    if code is C.INSUFFICIENT_BALANCE and result.detail is not None and market is not None and market.money is not None:
        asset, need, have = result.detail
        places = market.money.decimals[asset]
        return (f"insufficient {asset}: this order needs {amount_text(need, places)} {asset} available "
                f"(price x quantity plus the largest fee for a buy; the quantity for a sell), the account has "
                f"{amount_text(have, places)}")
    if code is C.JOURNAL_UNAVAILABLE:
        return "the journal cannot be written, so no command is executed until the server is restarted"
    if market is None or code in (C.UNKNOWN_SYMBOL, C.INVALID_SYMBOL):
        return f"symbol {_show(getattr(cmd, 'symbol', None))} is not traded here"
    config = market.config
    symbol = market.symbol
    if isinstance(cmd, Cancel):
        if cmd.order_id is not None and cmd.order_id >= 0:
            shown = f"order {cmd.order_id}"
        elif cmd.client_order_id is not None:
            shown = f"order {_show(cmd.client_order_id)}"
        else:  # an id that cannot be one of ours (negative, or too long to be one)
            shown = "the order named"
        if code is C.ORDER_NOT_LIVE:
            return f"{shown} is not live (status {result.status})"
        if code is C.UNKNOWN_ORDER:
            return f"{shown} is not live or not known"
        if code is C.ORDER_ID_REQUIRED:
            return "order_id or client_order_id is required"
        return f"cancel refused: {code.value}"
    if cmd.quote_qty is not None and code is C.QUANTITY_BELOW_MIN:
        return (f"quote_quantity buys less than the minimum quantity {config.min_quantity:f} of {symbol} at the "
                "current asks (fees included)")
    lots = cmd.qty_lots if type(cmd.qty_lots) is int else None
    qty = (_show(cmd.qty_lots) if lots is None else config.qty_scale.format(lots) if lots >= 0
           else "-" + config.qty_scale.format(-lots))
    texts = {
        C.QUANTITY_BELOW_MIN: (f"quantity must be positive, got {qty}" if lots is not None and lots <= 0 else
                               f"quantity {qty} is below the minimum {config.min_quantity:f} for {symbol}"),
        C.QUANTITY_ABOVE_MAX: f"quantity {qty} is above the maximum {config.max_quantity:f} for {symbol}",
        C.PRICE_NOT_POSITIVE: "price must be positive",
        C.PRICE_REQUIRED: "a priced order requires a price",
        C.PRICE_NOT_ALLOWED: "a market order takes no price",
        C.POST_ONLY_NOT_LIMIT: "post_only applies to limit orders only",
        C.INVALID_POST_ONLY: "post_only must be true or false",
        C.INVALID_SIDE: f"side must be 'buy' or 'sell', not {_show(cmd.side)}",
        C.INVALID_ORDER_TYPE: f"order_type must be one of limit, market, ioc, fok, not {_show(cmd.order_type)}",
        C.INVALID_NUMBER: "price and quantity must be whole numbers of ticks and steps below 2**63 of them",
        C.INVALID_CLIENT_ORDER_ID: f"client_order_id must be 1 to {MAX_CLIENT_ORDER_ID_LENGTH} printable characters",
        C.CLIENT_ORDER_ID_IN_USE: f"client_order_id {cmd.client_order_id!r} is already used by a live {symbol} order",
        C.INVALID_ORDER_ID: "a recorded order id must be an integer",
        C.ORDER_ID_ALREADY_USED: f"order id {cmd.order_id} was already used",
    }
    if code is C.NOTIONAL_BELOW_MIN:
        value = config.value_units(cmd.price_ticks, cmd.qty_lots)
        return (f"order value {config.format_value(value)} is below the minimum notional "
                f"{config.min_notional:f} for {symbol}")
    return texts.get(code, f"order refused: {code.value}")


# ---- RENDERING: orders, trades, events ------------------------------------------

def price_text(market: Market, ticks: int | None) -> str | None:
    return None if ticks is None else market.config.price_scale.text[ticks]


def qty_text(market: Market, lots: int) -> str:
    return market.config.qty_scale.text[lots]


def value_text(market: Market, units: int) -> str:
    """A price x quantity amount, exact, trailing zeros trimmed to the price's decimals."""
    config = market.config
    return format_trimmed(units, config.value_decimals, config.price_scale.decimals)


def fee_text(market: Market, units: int) -> str:
    """A fee (value units times the rate's units), exact, trimmed to the price's decimals."""
    config = market.config
    if not units:
        return config.price_scale.text[0]
    return format_trimmed(units, config.value_decimals + market.fees.decimals, config.price_scale.decimals)


def order_dict(market: Market, order: Order) -> dict[str, Any]:
    qty = market.config.qty_scale.text
    return {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "order_type": order.order_type,
        "price": price_text(market, order.price_ticks),
        "quantity": qty[order.qty_lots],
        "filled_quantity": qty[order.qty_lots - order.remaining_lots],
        "remaining_quantity": qty[order.remaining_lots],
        "status": order.status,
        "timestamp": order.ts_ns / 1e9,
        **({"cancel_reason": market.reasons[order.order_id]} if order.order_id in market.reasons else {}),
    }


def order_row_dict(market: Market, row: tuple) -> dict[str, Any]:
    """A stored order row ``(order_id, symbol, side, type, price_ticks, qty_lots, remaining_lots, status,
    client_order_id, ts_ns)`` as :func:`order_dict` renders it."""
    oid, symbol, side, otype, price, lots, remaining, status, coid, ts = row[:10]
    qty = market.config.qty_scale.text
    return {"order_id": oid, "client_order_id": coid, "symbol": symbol, "side": side, "order_type": otype,
            "price": price_text(market, price), "quantity": qty[lots], "filled_quantity": qty[lots - remaining],
            "remaining_quantity": qty[remaining], "status": status, "timestamp": ts / 1e9}


def trade_dict(market: Market, trade: Trade) -> dict[str, Any]:
    trade_id, symbol, price, lots = trade[:4]
    value = price * lots * market.value_factor
    fees = market.fees
    maker_fee = fee_text(market, fees.fee_units(value, True))
    taker_fee = maker_fee if fees.same_rates else fee_text(market, fees.fee_units(value, False))
    config = market.config
    return {
        "trade_id": trade_id,
        "symbol": symbol,
        "price": config.price_scale.text[price],
        "quantity": config.qty_scale.text[lots],
        "aggressor_side": trade.aggressor_side,
        "maker_order_id": trade.maker_order_id,
        "taker_order_id": trade.taker_order_id,
        "maker_fee": maker_fee,
        "taker_fee": taker_fee,
        "trade_value": value_text(market, value),
        "timestamp": trade.ts_ns / 1e9,
    }


def event_dict(market: Market, event: Event) -> dict[str, Any]:
    """An event with Decimal strings, adding ``event_type``."""
    base: dict[str, Any] = {"symbol": event.symbol, "sequence": event.sequence, "timestamp": event.ts_ns / 1e9}
    qty = market.config.qty_scale.text
    if isinstance(event, TradeExecuted):
        base.update(trade_dict(market, event.trade))
        base["timestamp"] = event.ts_ns / 1e9
        base["event_type"] = "trade"
    elif isinstance(event, OrderAccepted):
        base.update(
            event_type="accepted", order_id=event.order_id, client_order_id=event.client_order_id,
            side=event.side, order_type=event.order_type, price=price_text(market, event.price_ticks),
            quantity=qty[event.qty_lots], status=PENDING,
        )
    elif isinstance(event, OrderUpdated):
        base.update(
            event_type=event.status, order_id=event.order_id, client_order_id=event.client_order_id,
            side=event.side, status=event.status, filled_quantity=qty[event.filled_lots],
            remaining_quantity=qty[event.remaining_lots], is_maker=event.is_maker,
        )
    elif isinstance(event, OrderCancelled):
        base.update(
            event_type="cancelled", order_id=event.order_id, client_order_id=event.client_order_id,
            side=event.side, status=CANCELLED, filled_quantity=qty[event.filled_lots],
            remaining_quantity=qty[event.remaining_lots], reason=event.reason,
        )
    elif isinstance(event, OrderRejected):
        base.update(
            event_type="rejected", order_id=event.order_id, client_order_id=event.client_order_id,
            side=event.side, order_type=event.order_type, status=REJECTED, reason=event.reason,
        )
    elif isinstance(event, LevelChanged):
        base.update(event_type="level", side=event.side, price=price_text(market, event.price_ticks),
                    quantity=qty[event.total_lots])
    return base


# ---- RENDERING: market data ------------------------------------------------------

def bbo_dict(market: Market) -> dict[str, Any]:
    """Best bid/offer with quantities, spread and mid. O(1); texts come from memo tables."""
    book = market.book
    config = market.config
    price, qty = config.price_scale.text, config.qty_scale.text
    out: dict[str, Any] = {"symbol": market.symbol, "bid": None, "ask": None, "bid_quantity": None,
                           "ask_quantity": None, "spread": None, "mid": None, "sequence": book.sequence}
    bid, ask = book.best_bid(), book.best_ask()
    if bid is not None:
        out["bid"] = price[bid]
        out["bid_quantity"] = qty[book.level_total(BUY, bid)]
    if ask is not None:
        out["ask"] = price[ask]
        out["ask_quantity"] = qty[book.level_total(SELL, ask)]
        if bid is not None:
            out["spread"] = price[ask - bid]
            out["mid"] = config.price_scale.half_text[bid + ask]
    return out


def book_dict(market: Market, levels: int, ts_ns: int) -> dict[str, Any]:
    """Top levels: bids highest first, asks lowest first, as [price, quantity] strings."""
    book = market.book
    price, qty = market.config.price_scale.format, market.config.qty_scale.format
    return {
        "symbol": market.symbol,
        "bids": [[price(p), qty(q)] for p, q in book.depth(BUY, levels)],
        "asks": [[price(p), qty(q)] for p, q in book.depth(SELL, levels)],
        "sequence": book.sequence,
        "timestamp": ts_ns / 1e9,
    }


def statistics_dict(market: Market) -> dict[str, Any]:
    book = market.book
    return {
        "symbol": market.symbol,
        "orders_accepted": market.orders_accepted,
        "orders_rejected": market.orders_rejected,
        "trade_count": market.trade_count,
        "volume": qty_text(market, market.volume_lots),
        "notional": value_text(market, market.notional_units),
        "last_price": price_text(market, market.last_price_ticks),
        "resting_orders": len(book),
        "bid_levels": book.level_count(BUY),
        "ask_levels": book.level_count(SELL),
        "best_bid": price_text(market, book.best_bid()),
        "best_ask": price_text(market, book.best_ask()),
        "sequence": book.sequence,
    }


def symbol_not_found(symbol: object) -> dict[str, Any]:
    return {
        "error": f"symbol {_show(symbol)} is not traded here",
        "error_code": ErrorCode.SYMBOL_NOT_FOUND.value,
        "reason": ResultCode.UNKNOWN_SYMBOL.value,
    }


def order_not_found(order_id: object) -> dict[str, Any]:
    return {
        "error": f"order {_show(order_id)} was not found",
        "error_code": ErrorCode.ORDER_NOT_FOUND.value,
        "reason": ResultCode.UNKNOWN_ORDER.value,
    }
