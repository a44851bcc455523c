"""The OpenAPI 3 description of the REST API, served at /openapi.json."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from engine.self_trade import MODES as STP_MODES

bp = Blueprint("openapi", __name__)

DEC = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "description": "exact decimal as a string"}
NDEC = {**DEC, "nullable": True}
ID = {"type": "integer", "minimum": 1}
NUMBER_IN = {"oneOf": [{"type": "string"}, {"type": "number"}],
             "description": "decimal string (preferred) or JSON number, read exactly"}
API_KEY = {"type": "string", "pattern": "^me_[0-9a-f]{12}_[A-Za-z0-9_-]+$", "description": "me_<key id>_<secret>"}


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
        "post_only": {"type": "boolean", "nullable": True,
                      "description": "limit only: rejected instead of taking liquidity (null: false)"},
        "self_trade_prevention": {"type": "string", "nullable": True, "enum": [*STP_MODES, None],
                                  "description": "what happens when the order would trade with the account's own "
                                                 "resting order (null: the account's default, cancel_taker)"},
        "quote_quantity": {"type": "string", "nullable": True, "pattern": "^[0-9]{1,24}([.][0-9]+)?$",
                           "description": "a market buy only, instead of quantity: spend at most this much of the "
                                          "quote asset, fees included"},
    }, ["symbol", "side", "order_type"], extra=False),
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
        "order_id": {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}]},
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
    "Orders": _obj({
        "orders": {"type": "array", "items": {"$ref": "#/components/schemas/OrderStatus"},
                   "description": "the account's orders, newest (highest order_id) first"},
        "next_before": {**ID, "nullable": True,
                        "description": "pass as before= for the next page; null when this page is not full"},
    }),
    "Fill": _obj({
        "trade_id": ID, "symbol": {"type": "string"}, "price": DEC, "quantity": DEC,
        "aggressor_side": {"type": "string", "enum": ["buy", "sell"]},
        "maker_order_id": ID, "taker_order_id": ID, "maker_fee": DEC, "taker_fee": DEC, "trade_value": DEC,
        "timestamp": {"type": "number", "description": "seconds since the epoch"},
        "liquidity": {"type": "string", "enum": ["maker", "taker", "both"],
                      "description": "the account's role; both: it traded with itself"},
        "side": {"type": "string", "enum": ["buy", "sell"], "description": "the account's side"},
        "order_id": {**ID, "description": "the account's order in this trade (the taker's, for a self-trade)"},
        "fee": {**DEC, "description": "the account's fee: maker_fee as maker, else taker_fee"},
    }),
    "Fills": _obj({
        "fills": {"type": "array", "items": {"$ref": "#/components/schemas/Fill"},
                  "description": "the account's trades, newest (highest trade_id) first"},
        "next_before": {**ID, "nullable": True,
                        "description": "pass as before= for the next page; null when this page is not full"},
    }),
    "KeyInfo": _obj({
        "key_id": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
        "status": {"type": "string", "enum": ["active", "disabled", "revoked"]},
        "created_at": {"type": "number", "description": "seconds since the epoch"},
    }),
    "Account": _obj({
        "account_id": ID, "name": {"type": "string"}, "enabled": {"type": "boolean"},
        "created_at": {"type": "number", "description": "seconds since the epoch"},
        "open_orders": {"type": "integer", "minimum": 0},
        "self_trade_prevention": {"type": "string", "enum": list(STP_MODES)},
        "balances": {"type": "object", "description": "per asset held: available and locked, exact decimal strings",
                     "additionalProperties": _obj({"available": {"type": "string"}, "locked": {"type": "string"}})},
        "keys": {"type": "array", "items": {"$ref": "#/components/schemas/KeyInfo"},
                 "description": "the account's keys (ids and states; never a secret)"},
    }),
    "Accounts": _obj({"accounts": {"type": "array", "items": {"$ref": "#/components/schemas/Account"}}}),
    "StpRequest": _obj({"mode": {"type": "string", "enum": list(STP_MODES)}}, ["mode"], extra=False),
    "MoveFundsRequest": _obj({
        "asset": {"type": "string", "description": "an asset of the venue's symbols, e.g. USDT"},
        "amount": {"type": "string", "pattern": "^[0-9]{1,24}([.][0-9]+)?$",
                   "description": "positive, with no more decimals than the asset's unit"},
    }, extra=False),
    "CreateAccountRequest": _obj({
        "name": {"type": "string", "minLength": 1, "maxLength": 64,
                 "description": "unique; printable characters, without leading or trailing spaces"},
    }, extra=False),
    "NewKey": _obj({
        "account_id": ID, "name": {"type": "string"}, "key_id": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
        "api_key": {**API_KEY, "description": "the key, shown only in this answer: keep it"},
    }),
    "KeyStatus": _obj({
        "key_id": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
        "status": {"type": "string", "enum": ["active", "disabled", "revoked"]},
    }),
    "DemoKeys": _obj({"accounts": {"type": "array", "items": _obj({
        "account_id": ID, "name": {"type": "string"}, "api_key": API_KEY})}}),
    "Symbols": _obj({
        "symbols": {"type": "array", "items": {"type": "string"}, "description": "the traded symbols' names"},
        "symbol_info": {"type": "object", "description": "each symbol's trading rules, by name",
                        "additionalProperties": _obj({
                            "symbol": {"type": "string"}, "tick_size": DEC, "step_size": DEC, "min_quantity": DEC,
                            "max_quantity": DEC, "min_notional": DEC, "price_decimals": {"type": "integer"},
                            "quantity_decimals": {"type": "integer"}, "base_asset": {"type": "string"},
                            "quote_asset": {"type": "string"}, "maker_fee_rate": DEC, "taker_fee_rate": DEC})},
        "count": {"type": "integer", "minimum": 0}}),
}


def _json(ref: str, example: Any = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{ref}"}}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


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

SECURITY_SCHEMES = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "An account's API key, me_<key id>_<secret>. A missing, unknown, disabled or revoked "
                              "key (or one of a disabled account) is answered 401; 20 bad keys a minute from one "
                              "address are answered 429 (TOO_MANY_BAD_KEYS) for the rest of the minute."},
    "Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "me_<key id>_<secret>",
               "description": "The same API key as Authorization: Bearer <key>."},
    "AdminKey": {"type": "apiKey", "in": "header", "name": "X-Admin-Key",
                 "description": "The admin key the server was started with (--admin-key / ME_ADMIN_KEY). "
                                "Without one configured, every /admin path answers 404."},
}
KEYED = [{"ApiKey": []}, {"Bearer": []}]  # either one
ADMIN = [{"AdminKey": []}]
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "seconds to wait"}}
WWW_AUTHENTICATE = {"WWW-Authenticate": {"schema": {"type": "string"}, "example": 'Bearer realm="matching-engine"'}}
UNAUTHENTICATED = {**_resp("No valid API key (error_code UNAUTHENTICATED): reason API_KEY_REQUIRED (none sent) or "
                           "INVALID_API_KEY (unknown, disabled or revoked, or its account is disabled)", "Error"),
                   "headers": WWW_AUTHENTICATE}
KEYED_429 = {**_resp("Rate limited (TOO_MANY_REQUESTS; counted per account), or too many invalid API keys from this "
                     "address (TOO_MANY_BAD_KEYS); see Retry-After", "Error"), "headers": RETRY_AFTER}
ADMIN_ERRORS = {
    "401": {**_resp("The X-Admin-Key header is missing or wrong (UNAUTHENTICATED, ADMIN_KEY_REQUIRED)", "Error"),
            "headers": WWW_AUTHENTICATE},
    "429": {**_resp("Rate limited (TOO_MANY_REQUESTS), or too many invalid keys from this address "
                    "(TOO_MANY_BAD_KEYS); see Retry-After", "Error"), "headers": RETRY_AFTER},
    "503": _resp("The journal failed (nothing changed, or the change is not durable)", "Error"),
}
NO_ADMIN = "No admin key is configured (every /admin path answers 404)"
ACCOUNT_REF = {"name": "account", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
               "description": "an account id or name", "example": "demo-1"}
KEY_ID = {"name": "key_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
          "description": "a key id (the 12 hex digits after me_)"}
BEFORE = {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}


def _keyed(operation: dict[str, Any]) -> dict[str, Any]:
    """An operation that needs an account's API key: its security and its 401 and 429 answers."""
    return {**operation, "security": KEYED, "responses": {**operation["responses"], "401": UNAUTHENTICATED,
                                                          "429": KEYED_429}}


def _admin(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "security": ADMIN, **extra, "responses": {**responses, **ADMIN_ERRORS}}


def _page_params(kind: str) -> list[dict[str, Any]]:
    return [{"name": "symbol", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "only this symbol's (default: every symbol)"},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
            {"name": "before", "in": "query", "required": False, "schema": BEFORE,
             "description": f"page: {kind} older than this id (next_before of the previous page)"}]


def _account_paths() -> dict[str, Any]:
    """The signed-in account's own data, the admin surface and the demo keys (api/accounts.py)."""
    not_found_symbol = _resp("Unknown symbol", "Error")
    invalid = _resp("Invalid parameter", "Error")
    return {
        "/account": {"get": _keyed({
            "summary": "The signed-in account: its id, name, state, open order count, balances and keys",
            "responses": {"200": _resp("The account", "Account")}})},
        "/account/self-trade-prevention": {"post": _keyed({
            "summary": "Set the account's default self-trade prevention mode (for orders that name none)",
            "requestBody": {"required": True, "content": _json("StpRequest", {"mode": "cancel_maker"})},
            "responses": {"200": _resp("The account", "Account"), "400": invalid}})},
        "/orders": {"get": _keyed({
            "summary": "The account's orders, newest first: its open orders (status=open, the default), or every "
                       "stored one (status=all)",
            "parameters": [*_page_params("orders")[:1],
                           {"name": "status", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["open", "all"], "default": "open"}},
                           *_page_params("orders")[1:]],
            "responses": {"200": _resp("Orders", "Orders"), "400": invalid, "404": not_found_symbol}})},
        "/fills": {"get": _keyed({
            "summary": "The account's trades, newest first: price, quantity, fee, and whether it was maker or taker",
            "parameters": _page_params("fills"),
            "responses": {"200": _resp("Fills", "Fills"), "400": invalid, "404": not_found_symbol}})},
        "/admin/accounts": {
            "post": _admin("Create an account with one key (the key is shown only in this answer)", {
                "201": _resp("Created", "NewKey"),
                "400": _resp("Invalid body or account name (INVALID_ACCOUNT_NAME)", "Error"),
                "404": _resp(NO_ADMIN, "Error"),
                "409": _resp("An account with this name exists (ALREADY_EXISTS)", "Error"),
                "413": _resp("Body too large", "Error")},
                requestBody={"required": True, "content": _json("CreateAccountRequest", {"name": "alice"})}),
            "get": _admin("Every account, with its keys' ids and states", {
                "200": _resp("Accounts", "Accounts"), "404": _resp(NO_ADMIN, "Error")}),
        },
        "/admin/accounts/{account}/keys": {"post": _admin(
            "Give an account a new key (shown only in this answer)",
            {"201": _resp("Created", "NewKey"), "404": _resp(f"Unknown account; or: {NO_ADMIN}", "Error")},
            parameters=[ACCOUNT_REF])},
        **{f"/admin/accounts/{{account}}/{action}": {"post": _admin(
            f"{action.capitalize()} an account" + (": its keys are refused, its Socket.IO clients disconnected"
                                                   if action == "disable" else ""),
            {"200": _resp("The account", "Account"), "404": _resp(f"Unknown account; or: {NO_ADMIN}", "Error")},
            parameters=[ACCOUNT_REF])} for action in ("enable", "disable")},
        **{f"/admin/accounts/{{account}}/{action}": {"post": _admin(
            "Deposit into an account's available balance" if action == "deposit" else
            "Withdraw from an account's available balance (refused beyond it: INSUFFICIENT_BALANCE)",
            {"200": _resp("The account, with its balances", "Account"),
             "400": _resp("Unknown asset, invalid amount" + (", or more than available (INSUFFICIENT_BALANCE)"
                                                             if action == "withdraw" else ""), "Error"),
             "404": _resp(f"Unknown account; or: {NO_ADMIN}", "Error"),
             "413": _resp("Body too large", "Error")},
            parameters=[ACCOUNT_REF],
            requestBody={"required": True, "content": _json("MoveFundsRequest", {"asset": "USDT", "amount": "1000"})})}
            for action in ("deposit", "withdraw")},
        **{f"/admin/keys/{{key_id}}/{action}": {"post": _admin(
            {"enable": "Enable a disabled key", "disable": "Disable a key until it is enabled again",
             "revoke": "Revoke a key, for good"}[action],
            {"200": _resp("The key's new state", "KeyStatus"),
             "400": _resp("The key is revoked (KEY_REVOKED): a revoked key cannot change", "Error"),
             "404": _resp(f"Unknown key; or: {NO_ADMIN}", "Error")},
            parameters=[KEY_ID])} for action in ("enable", "disable", "revoke")},
        "/demo/keys": {"get": {
            "summary": "The demo accounts' keys: only from a server on a loopback address, to a local client",
            "responses": {"200": _resp("Demo accounts and their keys", "DemoKeys"),
                          "404": _resp("No demo keys are handed out here (NO_DEMO_KEYS)", "Error"),
                          "429": ERRORS["429"]}}},
    }


def build_spec(version: str) -> dict[str, Any]:
    only = lambda *codes: {c: ERRORS[c] for c in codes}  # noqa: E731
    return {
        "openapi": "3.0.3",
        "info": {"title": "Matching engine API", "version": version,
                 "description": "Price-time priority matching engine. Numbers are exact decimal strings. Order "
                                "entry and an account's own data need its API key (X-API-Key, or Authorization: "
                                "Bearer); market data is public. Rate limits count per account for requests with "
                                "a valid key, per client address otherwise."},
        "paths": {
            "/health": {"get": {"summary": "Liveness, version and journal state", "responses": {
                "200": _resp("Healthy", "Health"), "503": _resp("The journal failed: no commands are executed", "Health"),
                **only("429")}}},
            "/symbols": {"get": {"summary": "Traded symbols and their rules",
                                 "responses": {"200": _resp("Symbols", "Symbols"), **only("429")}}},
            "/order": {"post": _keyed({
                "summary": "Submit an order for the signed-in account",
                "requestBody": {"required": True, "content": _json("OrderRequest", {
                    "symbol": "BTC-USDT", "side": "buy", "order_type": "limit", "quantity": "0.01", "price": "29000.00",
                    "client_order_id": None})},
                "responses": {"200": _resp("Executed (a FOK that could not fill has status rejected)", "OrderResult"),
                              "413": _resp("Body too large", "Error"), **ERRORS,
                              "400": _resp("Invalid input, or a client_order_id the account already uses "
                                           "(DUPLICATE_CLIENT_ORDER_ID); nothing changed", "Error")},
            })},
            "/cancel": {"post": _keyed({
                "summary": "Cancel one of the account's resting orders by order_id or client_order_id",
                "description": "Name the order by order_id (an integer, or a string of digits) or by client_order_id; "
                               "when both are given, order_id is used.",
                "requestBody": {"required": True, "content": _json("CancelRequest")},
                "responses": {"200": _resp("Cancelled", "OrderStatus"), "400": _resp("Invalid input", "Error"),
                              "404": _resp("Unknown symbol, or order not live (another account's order answers "
                                           "exactly like an unknown one)", "CancelError"),
                              "413": _resp("Body too large", "Error"), "503": ERRORS["503"]},
            })},
            "/order/{order_id}": {"get": _keyed({
                "summary": "Status of one of the account's orders, resting or finished",
                "parameters": [{"name": "order_id", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "symbol", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": _resp("The order", "OrderStatus"),
                              "404": _resp("Unknown symbol or order (another account's order answers exactly like "
                                           "an unknown one)", "Error")},
            })},
            "/order/client/{client_order_id}": {"get": _keyed({
                "summary": "One of the account's orders by its client order id: the live one, else the newest "
                           "finished one",
                "parameters": [{"name": "client_order_id", "in": "path", "required": True,
                                "schema": {"type": "string", "minLength": 1, "maxLength": 64}},
                               {"name": "symbol", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _resp("The order", "OrderStatus"), "400": ERRORS["400"],
                              "404": _resp("Unknown symbol or order (another account's order answers exactly like "
                                           "an unknown one)", "Error")},
            })},
            **_account_paths(),
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
        "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(build_spec(current_app.extensions["me_version"]))
