"""Order entry: POST /order (see api.order_entry), POST /cancel, GET /order/<order_id>."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from api.auth import request_account
from api.durability import not_durable
from api.errors import ApiError, engine_error_response
from api.storage import history
from api.requests import json_body, require
from engine import codec
from engine.matcher import MatchingEngine

bp = Blueprint("orders", __name__)

CANCEL_FIELDS = frozenset({"symbol", "order_id", "client_order_id"})


def _engine() -> MatchingEngine:
    return current_app.extensions["matching_engine"]


@bp.post("/cancel")
def cancel_order() -> Any:
    me = request_account()
    body = json_body(CANCEL_FIELDS)
    require(body, "symbol")
    order_id, client_order_id = body.get("order_id"), body.get("client_order_id")
    if order_id is None and client_order_id is None:
        raise ApiError(400, "VALIDATION_ERROR", "MISSING_FIELD", "order_id or client_order_id is required")
    # order_id is used when both are given (as on Binance); a negative id, or one too long to be ours, is
    # answered like any unknown order.
    if order_id is not None and not (type(order_id) is int or (type(order_id) is str and order_id.isascii()
                                                                 and order_id.isdigit())):
        raise ApiError(400, "VALIDATION_ERROR", "INVALID_ORDER_ID",
                       "order_id must be an integer or a string of digits, such as 42 or \"42\"")
    if order_id is None and type(client_order_id) is not str:
        raise ApiError(400, "VALIDATION_ERROR", "INVALID_CLIENT_ORDER_ID",
                       f"client_order_id must be a string, not {type(client_order_id).__name__}")
    result = _engine().cancel_order(body["symbol"], order_id, client_order_id, account=me.account_id)
    if not result["success"]:
        return engine_error_response(result)
    store = current_app.extensions.get("me_store")
    if store is not None and not store.wait_durable():
        raise not_durable(store, "cancel", result)
    current_app.extensions["me_metrics"].cancels.labels(result["symbol"]).inc()
    return jsonify(result)


@bp.get("/order/<order_id>")
def order_status(order_id: str) -> Any:
    me = request_account()
    symbol = request.args.get("symbol")
    result = _engine().get_order_status(symbol, order_id, account=me.account_id)
    if "error" in result and result.get("error_code") == "ORDER_NOT_FOUND":
        stored = stored_order(order_id, symbol, me.account_id)
        if stored is not None:
            return jsonify(stored)
    if "error" in result:
        return engine_error_response(result)
    return jsonify(result)


@bp.get("/order/client/<path:client_order_id>")
def order_by_client_id(client_order_id: str) -> Any:
    """An order by the client id it was sent with: the live one, else the newest finished one."""
    me = request_account()
    symbol = request.args.get("symbol")
    if symbol is None:
        raise ApiError(400, "VALIDATION_ERROR", "MISSING_FIELD", "the symbol query parameter is required")
    result = _engine().get_order_by_client_id(symbol, client_order_id, account=me.account_id)
    if result.get("error_code") == "ORDER_NOT_FOUND":
        store = current_app.extensions.get("me_store")
        row = history.find_order_by_client_id(store.reader, symbol, client_order_id, me.account_id) \
            if store is not None else None
        market = _engine().market(symbol)
        if row is not None and market is not None:
            return jsonify(codec.order_row_dict(market, row))
    if "error" in result:
        return engine_error_response(result)
    return jsonify(result)


def stored_order(order_id: str, symbol: str | None, account: int) -> dict[str, Any] | None:
    """An order of ``account`` the engine no longer keeps in memory, from the database."""
    store = current_app.extensions.get("me_store")
    if store is None or not (order_id.isascii() and order_id.isdigit() and len(order_id) <= 18):
        return None
    row = history.find_order(store.reader, int(order_id))
    if row is None or (symbol is not None and row[1] != symbol) or row[10] != account:
        return None
    market = _engine().market(row[1])
    return codec.order_row_dict(market, row) if market is not None else None
