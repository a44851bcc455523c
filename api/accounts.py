"""Accounts over HTTP: the signed-in account's own data, the admin surface, and the demo keys.

``GET /account``, ``GET /orders`` and ``GET /fills`` need the account's key.  ``/admin/...``
needs the admin key given at start (``--admin-key`` / ``ME_ADMIN_KEY``) in ``X-Admin-Key``;
without one configured, every admin path answers 404 as if it did not exist.
``GET /demo/keys`` hands the demo accounts' keys to the dashboard, only on a server bound to
loopback and only to a loopback client.
"""
from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from api.auth import add_key, guard_of, is_loopback, open_account, request_account
from api.durability import not_durable
from api.errors import STATUS_BY_CODE, ApiError, bad_request
from api.requests import int_arg, json_body, require
from api.storage import history
from engine import codec
from engine.accounts import Account, valid_key_id
from engine.book import Trade
from engine.commands import Deposit, SetAccountStatus, SetKeyStatus, SetSelfTradePrevention, Withdraw
from engine.self_trade import MODES as STP_MODES
from engine.errors import ResultCode
from engine.matcher import MatchingEngine
from engine.order import Order
from engine.results import Result

bp = Blueprint("accounts", __name__)

MAX_PAGE = 500


def _engine() -> MatchingEngine:
    return current_app.extensions["matching_engine"]


def balances_dict(account: Account, engine: MatchingEngine) -> dict[str, dict[str, str]]:
    """Per asset the account holds or held: available and locked, as exact decimal strings."""
    decimals = engine.accounts.decimals
    assets = sorted(set(account.available) | set(account.locked))
    return {a: {"available": codec.amount_text(account.available.get(a, 0), decimals[a]),
                "locked": codec.amount_text(account.locked.get(a, 0), decimals[a])} for a in assets}


def account_dict(account: Account, engine: MatchingEngine) -> dict[str, Any]:
    keys = engine.accounts.keys
    return {
        "account_id": account.account_id,
        "name": account.name,
        "enabled": account.enabled,
        "created_at": account.created_ns / 1e9,
        "open_orders": len(account.live),
        "self_trade_prevention": account.stp,
        "balances": balances_dict(account, engine),
        "keys": [{"key_id": k, "status": keys[k].status.value, "created_at": keys[k].created_ns / 1e9}
                 for k in account.key_ids],
    }


def _symbol_arg() -> str | None:
    symbol = request.args.get("symbol")
    if symbol is not None and _engine().market(symbol) is None:
        raise ApiError(404, "SYMBOL_NOT_FOUND", "UNKNOWN_SYMBOL", f"symbol {symbol[:40]!r} is not traded here")
    return symbol


def _before_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise bad_request("INVALID_PARAMETER", f"{name} must be an id (digits), not {raw[:40]!r}")
    return int(raw)


# ---- the signed-in account ------------------------------------------------------------

@bp.get("/account")
def account() -> Any:
    engine = _engine()
    me = request_account()
    with engine.lock:
        return jsonify(account_dict(me, engine))


@bp.get("/orders")
def orders() -> Any:
    """The account's orders, newest first: ``status=open`` (default) its live orders, ``all`` every stored one."""
    me = request_account()
    symbol = _symbol_arg()
    status = request.args.get("status", "open")
    if status not in ("open", "all"):
        raise bad_request("INVALID_PARAMETER", f"status must be 'open' or 'all', not {status[:40]!r}")
    limit = int_arg("limit", 100, 1, MAX_PAGE)
    before = _before_arg("before")
    engine = _engine()
    store = current_app.extensions.get("me_store")
    if status == "all" and store is not None:
        rows = history.orders_of(store.reader, me.account_id, symbol, before, limit)
        live = {}
        with engine.lock:  # the live state is the engine's: the database may be a commit behind
            for row in rows:
                order = me.live.get(row[0])
                if order is not None:
                    live[row[0]] = codec.order_dict(engine.market(order.symbol), order)  # type: ignore[arg-type]
        out = [live.get(row[0]) or codec.order_row_dict(engine.market(row[1]), row) for row in rows]  # type: ignore[arg-type]
    else:
        with engine.lock:
            found: list[Order] = [o for o in me.live.values() if symbol is None or o.symbol == symbol]
            if status == "all":  # no database: what the engine still keeps in memory
                for name in engine.symbols if symbol is None else [symbol]:
                    found.extend(o for o in engine.market(name).history.values()  # type: ignore[union-attr]
                                 if o.account == me.account_id)
            found = sorted((o for o in found if before is None or o.order_id < before),
                           key=lambda o: o.order_id, reverse=True)[:limit]
            out = [codec.order_dict(engine.market(o.symbol), o) for o in found]  # type: ignore[arg-type]
    return jsonify({"orders": out, "next_before": out[-1]["order_id"] if len(out) == limit else None})


@bp.post("/account/self-trade-prevention")
def set_self_trade_prevention() -> Any:
    """The account's default self-trade prevention mode, for orders that name none: ``{"mode": "cancel_maker"}``."""
    me = request_account()
    body = json_body(frozenset({"mode"}))
    require(body, "mode")
    mode = body["mode"]
    if mode not in STP_MODES:
        raise bad_request("INVALID_SELF_TRADE_PREVENTION", f"mode must be one of {', '.join(STP_MODES)}")
    _executed(_engine().execute(SetSelfTradePrevention(me.account_id, mode)), "account")
    engine = _engine()
    with engine.lock:
        return jsonify(account_dict(me, engine))


def fill_dict(engine: MatchingEngine, trade: Trade, account_id: int) -> dict[str, Any]:
    market = engine.market(trade.symbol)
    out = codec.trade_dict(market, trade)  # type: ignore[arg-type]
    maker = trade.maker_account == account_id
    taker = trade.taker_account == account_id
    role = "maker" if maker and not taker else "taker" if taker and not maker else "both"
    out["liquidity"] = role
    out["side"] = trade.aggressor_side if taker else ("sell" if trade.aggressor_side == "buy" else "buy")
    out["order_id"] = trade.taker_order_id if taker else trade.maker_order_id
    out["fee"] = out["maker_fee"] if role == "maker" else out["taker_fee"]
    if role == "both":  # a self-trade: both fees are the account's
        out["side"] = trade.aggressor_side
    return out


@bp.get("/fills")
def fills() -> Any:
    """The account's trades, newest first, with price, quantity, fee and whether it was maker or taker."""
    me = request_account()
    symbol = _symbol_arg()
    limit = int_arg("limit", 100, 1, MAX_PAGE)
    before = _before_arg("before")
    engine = _engine()
    store = current_app.extensions.get("me_store")
    if store is not None:
        trades = [Trade(*row) for row in history.fills_of(store.reader, me.account_id, symbol, before, limit)]
    else:
        with engine.lock:
            trades = sorted((t for name in (engine.symbols if symbol is None else [symbol])
                             for t in engine.market(name).recent_trades  # type: ignore[union-attr]
                             if me.account_id in (t.maker_account, t.taker_account)
                             and (before is None or t.trade_id < before)),
                            key=lambda t: t.trade_id, reverse=True)[:limit]
    out = [fill_dict(engine, t, me.account_id) for t in trades]
    return jsonify({"fills": out, "next_before": out[-1]["trade_id"] if len(out) == limit else None})


# ---- administration ------------------------------------------------------------------

def _require_admin() -> None:
    configured = current_app.config.get("ADMIN_KEY")
    if not configured:
        raise ApiError(404, "NOT_FOUND", "UNKNOWN_PATH", "no such path; see /openapi.json for the endpoints")
    given = request.headers.get("X-Admin-Key", "")
    if not hmac.compare_digest(given.encode(), str(configured).encode()):
        if given:  # a wrong admin key counts like a bad API key (401, then 429)
            guard_of(current_app).refuse(None, request.remote_addr or "", "the admin key is not the one the server "
                                         "was started with (--admin-key / ME_ADMIN_KEY)", "INVALID_ADMIN_KEY")
        raise ApiError(401, "UNAUTHENTICATED", "ADMIN_KEY_REQUIRED",
                       "this path needs the server's admin key in the X-Admin-Key header")


def _executed(result: Result, what: str) -> None:
    """Raise the API error for a refused account command; wait until an executed one is durable."""
    if not result.executed:
        body = codec.error_dict(None, result)
        body["error"] = ACCOUNT_MESSAGES.get(result.code.value, body["error"])
        raise ApiError(STATUS_BY_CODE.get(body["error_code"], 400), body["error_code"], body["reason"], body["error"])
    store = current_app.extensions.get("me_store")
    if store is not None and not store.wait_durable():
        raise not_durable(store, what, {})


ACCOUNT_MESSAGES = {
    "INVALID_ACCOUNT_NAME": "an account name is 1 to 64 printable characters, without leading or trailing spaces",
    "ACCOUNT_NAME_IN_USE": "an account with this name already exists",
    "UNKNOWN_ACCOUNT": "no such account",
    "UNKNOWN_KEY": "no such key",
    "KEY_REVOKED": "the key is revoked; a revoked key cannot be used again",
    "JOURNAL_UNAVAILABLE": "the journal cannot be written, so nothing is changed until the server is restarted",
}


def _account_arg(ref: str) -> Account:
    found = _engine().accounts.find(ref)
    if found is None:
        raise ApiError(404, "ACCOUNT_NOT_FOUND", "UNKNOWN_ACCOUNT", f"no account with id or name {ref[:64]!r}")
    return found


@bp.post("/admin/accounts")
def admin_create_account() -> Any:
    _require_admin()
    body = json_body(frozenset({"name"}))
    require(body, "name")
    result, created = open_account(_engine(), body["name"])
    _executed(result, "account")
    return jsonify(created), 201


@bp.get("/admin/accounts")
def admin_list_accounts() -> Any:
    _require_admin()
    engine = _engine()
    with engine.lock:
        return jsonify({"accounts": [account_dict(a, engine) for a in engine.accounts.by_id.values()]})


@bp.post("/admin/accounts/<ref>/keys")
def admin_new_key(ref: str) -> Any:
    _require_admin()
    found = _account_arg(ref)
    result, key = add_key(_engine(), found.account_id)
    _executed(result, "key")
    return jsonify({"account_id": found.account_id, "name": found.name, "key_id": key.split("_")[1],  # type: ignore[union-attr]
                    "api_key": key}), 201


@bp.post("/admin/accounts/<ref>/<any(deposit, withdraw):action>")
def admin_move_funds(ref: str, action: str) -> Any:
    """Deposit into or withdraw from an account's available balance: ``{"asset": "USDT", "amount": "100.5"}``."""
    _require_admin()
    found = _account_arg(ref)
    body = json_body(frozenset({"asset", "amount"}))
    require(body, "asset", "amount")
    engine = _engine()
    asset = body["asset"]
    places = engine.accounts.decimals.get(asset) if isinstance(asset, str) else None
    if places is None:
        raise bad_request("UNKNOWN_ASSET", f"asset must be one of {', '.join(sorted(engine.accounts.decimals))}")
    amount = codec.parse_amount(body["amount"], places)
    if amount is None:
        raise bad_request("INVALID_AMOUNT", f"amount must be a positive decimal string with at most {places} "
                                            f"decimals for {asset}")
    command = (Deposit if action == "deposit" else Withdraw)(found.account_id, asset, amount)
    result = engine.execute(command)
    if result.code is ResultCode.INSUFFICIENT_BALANCE:
        with engine.lock:
            have = found.available.get(asset, 0)
        raise ApiError(400, "INSUFFICIENT_BALANCE", "INSUFFICIENT_BALANCE",
                       f"cannot withdraw {codec.amount_text(amount, places)} {asset}: the account has "
                       f"{codec.amount_text(have, places)} available")
    _executed(result, "balance")
    current_app.extensions["me_feed"].account_changed(found.account_id)
    with engine.lock:
        return jsonify(account_dict(found, engine))


@bp.post("/admin/accounts/<ref>/<any(enable, disable):action>")
def admin_account_status(ref: str, action: str) -> Any:
    _require_admin()
    found = _account_arg(ref)
    _executed(_engine().execute(SetAccountStatus(found.account_id, action == "enable")), "account")
    if action == "disable":
        current_app.extensions["me_feed"].drop_signed_in(account_id=found.account_id)
    with _engine().lock:
        return jsonify(account_dict(found, _engine()))


@bp.post("/admin/keys/<key_id>/<any(enable, disable, revoke):action>")
def admin_key_status(key_id: str, action: str) -> Any:
    _require_admin()
    if not valid_key_id(key_id):
        raise ApiError(404, "KEY_NOT_FOUND", "UNKNOWN_KEY", "no such key")
    status = {"enable": "active", "disable": "disabled", "revoke": "revoked"}[action]
    _executed(_engine().execute(SetKeyStatus(key_id, status)), "key")
    if status != "active":
        current_app.extensions["me_feed"].drop_signed_in(key_id=key_id)
    return jsonify({"key_id": key_id, "status": status})


# ---- the demo accounts ---------------------------------------------------------------

@bp.get("/demo/keys")
def demo_keys() -> Any:
    """The demo accounts' keys, for the dashboard: only from a server bound to loopback, to a loopback client."""
    keys = current_app.extensions.get("me_demo_keys") or []
    host = request.host.rsplit(":", 1)[0].strip("[]") if request.host else ""
    forwarded = any(h in request.headers for h in ("Forwarded", "X-Forwarded-For", "X-Real-IP"))
    # A proxy in front (forwarding headers), or a page on another name resolving here (DNS
    # rebinding: its Host is that name), gets nothing, however local the connection looks.
    if (not keys or not is_loopback(current_app.config["HOST"]) or not is_loopback(request.remote_addr)
            or not is_loopback(host) or forwarded):
        raise ApiError(404, "NOT_FOUND", "NO_DEMO_KEYS",
                       "no demo keys are handed out here (only by a server on a loopback address, to a local "
                       "client); sign in with your API key")
    engine = _engine()
    usable = [k for k in keys if engine.authenticate(k["api_key"])[0] is not None]
    return jsonify({"accounts": [{"account_id": k["account_id"], "name": k["name"], "api_key": k["api_key"]}
                                 for k in usable]})
