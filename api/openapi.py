"""The OpenAPI 3 description of the REST API, served at /openapi.json."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

bp = Blueprint("openapi", __name__)

DEC = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "description": "exact decimal as a string"}
NDEC = {**DEC, "nullable": True}
ID = {"type": "integer", "minimum": 1}
NUMBER_IN = {"oneOf": [{"type": "string"}, {"type": "number"}],
             "description": "decimal string (preferred) or JSON number, read exactly"}


def _obj(props: dict[str, Any], required: list[str] | None = None, extra: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props, "required": required or list(props)}
    if not extra:
        out["additionalProperties"] = False
    return out


SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": {"type": "string"}, "error_code": {"type": "string"}, "reason": {"type": "string"}}),
    "OrderRequest": _obj({
        "symbol": {"type": "string", "example": "BTC-USDT"},
        "side": {"type": "string", "enum": ["buy", "sell"]},
        "order_type": {"type": "string", "enum": ["limit", "market", "ioc", "fok"]},
        "quantity": NUMBER_IN,
        "price": {**NUMBER_IN, "nullable": True, "description": "required for limit, ioc, fok; absent for market"},
        "client_order_id": {"type": "string", "nullable": True, "maxLength": 64},
        "post_only": {"type": "boolean", "description": "limit only: rejected instead of taking liquidity"},
    }, ["symbol", "side", "order_type", "quantity"], extra=False),
    "Trade": _obj({
        "trade_id": ID, "symbol": {"type": "string"}, "price": DEC, "quantity": DEC,
        "aggressor_side": {"type": "string", "enum": ["buy", "sell"]},
        "maker_order_id": ID, "taker_order_id": ID, "maker_fee": DEC, "taker_fee": DEC, "trade_value": DEC,
        "timestamp": {"type": "number", "description": "seconds since the epoch"},
    }),
    "BBO": _obj({
        "symbol": {"type": "string"}, "bid": NDEC, "ask": NDEC, "bid_quantity": NDEC, "ask_quantity": NDEC,
        "spread": NDEC, "mid": NDEC, "sequence": {"type": "integer"},
    }),
    "OrderResult": _obj({
        "order_id": ID, "client_order_id": {"type": "string", "nullable": True}, "symbol": {"type": "string"},
        "side": {"type": "string"}, "order_type": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "partially_filled", "filled", "cancelled", "rejected"]},
        "price": NDEC, "quantity": DEC, "filled_quantity": DEC, "remaining_quantity": DEC,
        "trades": {"type": "array", "items": {"$ref": "#/components/schemas/Trade"}},
        "total_maker_fees": DEC, "total_taker_fees": DEC, "bbo": {"$ref": "#/components/schemas/BBO"},
        "processing_time_ms": {"type": "number"},
        "reject_reason": {"type": "string", "enum": ["FOK_NOT_FILLABLE", "POST_ONLY_WOULD_TAKE"]},
    }, ["order_id", "client_order_id", "symbol", "side", "order_type", "status", "price", "quantity",
        "filled_quantity", "remaining_quantity", "trades", "total_maker_fees", "total_taker_fees", "bbo",
        "processing_time_ms"]),
    "OrderStatus": _obj({
        "order_id": ID, "client_order_id": {"type": "string", "nullable": True}, "symbol": {"type": "string"},
        "side": {"type": "string"}, "order_type": {"type": "string"}, "price": NDEC, "quantity": DEC,
        "filled_quantity": DEC, "remaining_quantity": DEC,
        "status": {"type": "string", "enum": ["pending", "partially_filled", "filled", "cancelled", "rejected"]},
        "timestamp": {"type": "number"},
    }),
    "CancelRequest": _obj({
        "symbol": {"type": "string"},
        "order_id": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
        "client_order_id": {"type": "string"},
    }, ["symbol"], extra=False),
    "CancelError": {"allOf": [{"$ref": "#/components/schemas/Error"},
                              {"type": "object", "properties": {"success": {"type": "boolean", "enum": [False]}}}]},
    "Book": _obj({
        "symbol": {"type": "string"},
        "bids": {"type": "array", "items": {"type": "array", "items": DEC, "minItems": 2, "maxItems": 2}},
        "asks": {"type": "array", "items": {"type": "array", "items": DEC, "minItems": 2, "maxItems": 2}},
        "sequence": {"type": "integer"}, "timestamp": {"type": "number"},
    }),
    "Trades": _obj({"symbol": {"type": "string"}, "trades": {"type": "array", "items": {"$ref": "#/components/schemas/Trade"}}}),
    "SymbolStatistics": _obj({
        "symbol": {"type": "string"}, "orders_accepted": {"type": "integer"}, "orders_rejected": {"type": "integer"},
        "trade_count": {"type": "integer"}, "volume": DEC, "notional": DEC, "last_price": NDEC,
        "resting_orders": {"type": "integer"}, "bid_levels": {"type": "integer"}, "ask_levels": {"type": "integer"},
        "best_bid": NDEC, "best_ask": NDEC, "sequence": {"type": "integer"},
    }),
    "Statistics": {"oneOf": [
        {"$ref": "#/components/schemas/SymbolStatistics"},
        _obj({"symbols": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/SymbolStatistics"}},
              "total_orders": {"type": "integer"}, "total_trades": {"type": "integer"}, "resting_orders": {"type": "integer"}}),
    ]},
    "Health": _obj({"status": {"type": "string"}, "timestamp": {"type": "number"}, "uptime_seconds": {"type": "number"},
                    "symbols": {"type": "array", "items": {"type": "string"}}, "async_mode": {"type": "string"},
                    "version": {"type": "string"}, "journal": {"type": "string"}}),
    "Symbols": _obj({
        "symbols": {"type": "array", "items": {"type": "string"}, "description": "the traded symbols' names"},
        "symbol_info": {"type": "object", "description": "each symbol's trading rules, by name",
                        "additionalProperties": _obj({
                            "symbol": {"type": "string"}, "tick_size": DEC, "step_size": DEC, "min_quantity": DEC,
                            "max_quantity": DEC, "min_notional": DEC, "price_decimals": {"type": "integer"},
                            "quantity_decimals": {"type": "integer"}})},
        "count": {"type": "integer", "minimum": 0}}),
}


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _resp(description: str, ref: str) -> dict[str, Any]:
    return {"description": description, "content": _json(ref)}


ERRORS = {
    "400": _resp("Invalid input; nothing changed", "Error"),
    "404": _resp("Unknown symbol, order or path", "Error"),
    "429": {**_resp("Rate limited; see Retry-After", "Error"),
            "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
    "503": _resp("The journal failed (nothing executed, or the command is not durable), or did not confirm in "
                 "time (outcome unknown: look the order up)", "Error"),
}
SYMBOL_PARAM = {"name": "symbol", "in": "path", "required": True, "schema": {"type": "string"}, "example": "BTC-USDT"}


def build_spec(version: str) -> dict[str, Any]:
    only = lambda *codes: {c: ERRORS[c] for c in codes}  # noqa: E731
    return {
        "openapi": "3.0.3",
        "info": {"title": "Matching engine API", "version": version,
                 "description": "Price-time priority matching engine. Numbers are exact decimal strings."},
        "paths": {
            "/health": {"get": {"summary": "Liveness, version and journal state", "responses": {
                "200": _resp("Healthy", "Health"), "503": _resp("The journal failed: no commands are executed", "Health"),
                **only("429")}}},
            "/symbols": {"get": {"summary": "Traded symbols and their rules",
                                 "responses": {"200": _resp("Symbols", "Symbols"), **only("429")}}},
            "/order": {"post": {
                "summary": "Submit an order",
                "requestBody": {"required": True, "content": _json("OrderRequest")},
                "responses": {"200": _resp("Executed (a FOK that could not fill has status rejected)", "OrderResult"),
                              "413": _resp("Body too large", "Error"), **ERRORS},
            }},
            "/cancel": {"post": {
                "summary": "Cancel a resting order by order_id or client_order_id",
                "requestBody": {"required": True, "content": _json("CancelRequest")},
                "responses": {"200": _resp("Cancelled", "OrderStatus"), "400": _resp("Invalid input", "Error"),
                              "404": _resp("Unknown symbol, or order not live", "CancelError"),
                              "413": _resp("Body too large", "Error"), "429": ERRORS["429"], "503": ERRORS["503"]},
            }},
            "/order/{order_id}": {"get": {
                "summary": "Status of a resting or finished order",
                "parameters": [{"name": "order_id", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "symbol", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": _resp("The order", "OrderStatus"), **only("404", "429")},
            }},
            "/order/client/{client_order_id}": {"get": {
                "summary": "An order by its client order id: the live one, else the newest finished one",
                "parameters": [{"name": "client_order_id", "in": "path", "required": True,
                                "schema": {"type": "string", "minLength": 1, "maxLength": 64}},
                               {"name": "symbol", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _resp("The order", "OrderStatus"), **only("400", "404", "429")},
            }},
            "/book/{symbol}": {"get": {
                "summary": "Order book depth: bids highest first, asks lowest first",
                "parameters": [SYMBOL_PARAM, {"name": "levels", "in": "query", "required": False,
                                              "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}}],
                "responses": {"200": _resp("Depth", "Book"), **ERRORS},
            }},
            "/bbo/{symbol}": {"get": {"summary": "Best bid and offer", "parameters": [SYMBOL_PARAM],
                                      "responses": {"200": _resp("BBO", "BBO"), **only("404", "429")}}},
            "/trades/{symbol}": {"get": {
                "summary": "Recent trades, newest first",
                "parameters": [SYMBOL_PARAM,
                               {"name": "limit", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}},
                               {"name": "before", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 1}, "description": "page: trades older than this trade_id"}],
                "responses": {"200": _resp("Trades", "Trades"), **ERRORS},
            }},
            "/statistics": {"get": {
                "summary": "Counters for all symbols, or one",
                "parameters": [{"name": "symbol", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": _resp("Statistics", "Statistics"), **only("404", "429")},
            }},
        },
        "components": {"schemas": SCHEMAS},
    }


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(build_spec(current_app.extensions["me_version"]))
