"""Market data and service endpoints: /health, /symbols, /book, /bbo, /trades, /statistics."""
from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from api.errors import engine_error_response
from api.requests import int_arg
from api.storage import history
from engine import codec
from engine.book import Trade
from engine.matcher import MatchingEngine

bp = Blueprint("market_data", __name__)


def _engine() -> MatchingEngine:
    return current_app.extensions["matching_engine"]


def _reply(result: dict[str, Any]) -> Any:
    return engine_error_response(result) if "error" in result else jsonify(result)


@bp.get("/health")
def health() -> Any:
    started = current_app.extensions["me_started_at"]
    store = current_app.extensions.get("me_store")
    failed = store is not None and store.failed
    body = {
        "status": "unhealthy" if failed else "healthy",
        "timestamp": time.time(),
        "uptime_seconds": round(time.time() - started, 3),
        "symbols": _engine().symbols,
        "async_mode": current_app.config["ASYNC_MODE"],
        "version": current_app.extensions["me_version"],
        "journal": "failed: no commands are executed until a restart" if failed
        else (store.fsync if store is not None else "off"),
    }
    return jsonify(body), 503 if failed else 200


@bp.get("/symbols")
def symbols() -> Any:
    """Names (clients iterate them) and, by name, each symbol's trading rules."""
    engine = _engine()
    configs = [c for c in (engine.get_symbol_config(s) for s in engine.symbols) if c is not None]
    return jsonify({"symbols": [c.symbol for c in configs],
                    "symbol_info": {c.symbol: _info(engine, c) for c in configs},
                    "count": len(configs)})


def _info(engine: Any, config: Any) -> dict[str, Any]:
    """A symbol's trading rules, its assets and the fee rates in force (what an order's lock is made of)."""
    market = engine.market(config.symbol)
    out = config.to_dict()
    money = market.money
    if money is not None:
        out["base_asset"], out["quote_asset"] = money.base, money.quote
    out["maker_fee_rate"] = f"{market.fees.maker_fee_rate:f}"
    out["taker_fee_rate"] = f"{market.fees.taker_fee_rate:f}"
    return out


@bp.get("/book/<symbol>")
def book(symbol: str) -> Any:
    levels = int_arg("levels", 10, 1, 100)
    return _reply(_engine().get_book_snapshot(symbol, levels))


@bp.get("/bbo/<symbol>")
def bbo(symbol: str) -> Any:
    return _reply(_engine().get_bbo(symbol))


@bp.get("/trades/<symbol>")
def trades(symbol: str) -> Any:
    limit = int_arg("limit", 50, 1, 1000)
    before = int_arg("before", 0, 1, 10**15) if "before" in request.args else None
    result = _engine().get_recent_trades(symbol, limit, before)
    store = current_app.extensions.get("me_store")
    market = _engine().market(symbol)
    if "error" not in result and store is not None and market is not None and len(result["trades"]) < limit:
        # older than what the engine keeps in memory: page on from the database
        trades = result["trades"]
        start = trades[-1]["trade_id"] if trades else before
        for row in history.trades_before(store.reader, symbol, start, limit - len(trades)):
            trades.append(codec.trade_dict(market, Trade(*row)))
    return _reply(result)


@bp.get("/statistics")
def statistics() -> Any:
    return _reply(_engine().get_statistics(request.args.get("symbol")))
