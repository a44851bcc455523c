"""Order validation: everything about an order that can be checked before it touches a book."""
from __future__ import annotations

from typing import Any

from engine.errors import RejectReason, SymbolNotFoundError, ValidationError
from engine.market import Market
from engine.order import BUY, FOK, IOC, LIMIT, MARKET, SELL

_SIDES = {"buy": BUY, "sell": SELL, "BUY": BUY, "SELL": SELL, "Buy": BUY, "Sell": SELL}
_TYPES = {t: t for t in (LIMIT, MARKET, IOC, FOK)} | {t.upper(): t for t in (LIMIT, MARKET, IOC, FOK)}
MAX_CLIENT_ORDER_ID_LENGTH = 64


def validate_order(
    markets: dict[str, Market], symbol: Any, side: Any, order_type: Any, quantity: Any, price: Any,
    client_order_id: Any, post_only: Any,
) -> tuple[Market, str, str, int, int | None]:
    """Check one order against its symbol's rules; return it in engine terms.

    Raises an :class:`EngineError` subclass naming the first problem. Pure: reads only
    the symbol's configuration, so it runs outside the engine lock.
    """
    market = markets.get(symbol) if type(symbol) is str else None
    if market is None:
        if type(symbol) is not str:
            raise ValidationError(RejectReason.INVALID_SYMBOL, f"symbol must be a string, not {type(symbol).__name__}")
        raise SymbolNotFoundError(RejectReason.UNKNOWN_SYMBOL, f"symbol {symbol!r} is not traded here")
    side_ = _SIDES.get(side) if type(side) is str else None
    if side_ is None:
        raise ValidationError(RejectReason.INVALID_SIDE, f"side must be 'buy' or 'sell', not {side!r}")
    type_ = _TYPES.get(order_type) if type(order_type) is str else None
    if type_ is None:
        raise ValidationError(
            RejectReason.INVALID_ORDER_TYPE, f"order_type must be one of limit, market, ioc, fok, not {order_type!r}"
        )
    if post_only is not False:
        if post_only is not True:
            raise ValidationError(RejectReason.INVALID_POST_ONLY, "post_only must be true or false")
        if type_ is not LIMIT:
            raise ValidationError(RejectReason.POST_ONLY_NOT_LIMIT, "post_only applies to limit orders only")
    config = market.config
    # str inputs go straight to the memo tables (the common case); the rest through to_count
    qty_scale = config.qty_scale
    qty_lots = qty_scale.qty_counts[quantity] if type(quantity) is str else qty_scale.to_count(quantity, "quantity")
    if qty_lots < market.min_lots:
        if qty_lots <= 0:
            raise ValidationError(RejectReason.QUANTITY_BELOW_MIN, f"quantity must be positive, got {quantity}")
        raise ValidationError(
            RejectReason.QUANTITY_BELOW_MIN, f"quantity {quantity} is below the minimum {config.min_quantity:f} for {symbol}"
        )
    if qty_lots > market.max_lots:
        raise ValidationError(
            RejectReason.QUANTITY_ABOVE_MAX, f"quantity {quantity} is above the maximum {config.max_quantity:f} for {symbol}"
        )
    price_ticks: int | None
    if type_ is MARKET:
        if price is not None:
            raise ValidationError(RejectReason.PRICE_NOT_ALLOWED, "a market order takes no price")
        price_ticks = None
    else:
        if price is None:
            raise ValidationError(RejectReason.PRICE_REQUIRED, f"a {type_} order requires a price")
        price_scale = config.price_scale
        price_ticks = price_scale.price_counts[price] if type(price) is str else price_scale.to_count(price, "price")
        if price_ticks <= 0:
            raise ValidationError(RejectReason.PRICE_NOT_POSITIVE, f"price must be positive, got {price}")
        if market.min_notional_units and price_ticks * qty_lots * market.value_factor < market.min_notional_units:
            raise ValidationError(
                RejectReason.NOTIONAL_BELOW_MIN,
                f"order value {config.format_value(config.value_units(price_ticks, qty_lots))} is below "
                f"the minimum notional {config.min_notional:f} for {symbol}",
            )
    if client_order_id is not None and (
        type(client_order_id) is not str
        or not 0 < len(client_order_id) <= MAX_CLIENT_ORDER_ID_LENGTH
        or not client_order_id.isprintable()
    ):
        raise ValidationError(
            RejectReason.INVALID_CLIENT_ORDER_ID,
            f"client_order_id must be 1 to {MAX_CLIENT_ORDER_ID_LENGTH} printable characters",
        )
    return market, side_, type_, qty_lots, price_ticks
