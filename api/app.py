"""The application factory."""
from __future__ import annotations

import time
from importlib import metadata
from typing import Any, Mapping

from flask import Flask

from api import accounts, feeds, market_data, openapi, orders, site
from api.auth import KeyGuard
from api.demo import ensure_demo_accounts
from api.config import load_config
from api.durability import attach_store
from api.errors import register_error_handlers
from api.extensions import make_limiter, make_socketio
from api.feed_limits import check_internals
from api.logs import configure_logging
from api.metrics import init_metrics
from api.order_entry import OrderEntry
from engine.matcher import MatchingEngine, create_crypto_engine, create_forex_engine


DISTRIBUTION = "pricetime-matching-engine"  # the commands and modules are named matching-engine, api, ...


def _version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def create_app(config: Mapping[str, Any] | None = None, engine: MatchingEngine | None = None) -> Flask:
    """Build a fresh app with its own engine, feed publisher and metrics."""
    cfg = load_config(config)
    app = Flask(__name__, static_folder=None)
    app.config.update(cfg)
    app.config.setdefault("FRONTEND_DIR", str(site.FRONTEND_DIR))
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.compact = True  # type: ignore[attr-defined]
    configure_logging(cfg["LOG_LEVEL"], cfg["LOG_FILE"])

    if engine is None:
        factory = create_forex_engine if cfg["SYMBOLS"] == "forex" else create_crypto_engine
        engine = factory(history_limit=cfg["HISTORY_LIMIT"])
    app.extensions["matching_engine"] = engine
    app.extensions["me_version"] = _version()
    app.extensions["me_started_at"] = time.time()

    metrics = init_metrics(app)
    register_error_handlers(app)
    for module in (market_data, orders, accounts, openapi, site):
        app.register_blueprint(module.bp)

    limiter = app.extensions["me_limiter"] = make_limiter()
    limiter.init_app(app)
    app.extensions["me_key_guard"] = KeyGuard(engine, limiter.limiter)
    for name in ("market_data.health", "prometheus_metrics", "site.dashboard", "site.dashboard_asset",
                 "site.docs", "site.docs_asset", "openapi.openapi"):
        limiter.exempt(app.view_functions[name])

    origins = [o.strip() for o in cfg["CORS_ORIGINS"].split(",") if o.strip()]
    socketio = make_socketio()
    feeds.register_handlers(socketio)
    socketio.init_app(app, async_mode=cfg["ASYNC_MODE"], cors_allowed_origins=origins or None,
                      max_http_buffer_size=cfg["WS_MAX_MESSAGE_BYTES"])
    check_internals(socketio.server)
    attach_store(app, engine, cfg, socketio.start_background_task)
    ensure_demo_accounts(app, engine)
    app.wsgi_app = app.extensions["me_order_entry"] = OrderEntry(app, app.wsgi_app)  # type: ignore[method-assign]
    feed = feeds.FeedPublisher(socketio, engine, cfg["L2_INTERVAL_MS"] / 1000, cfg["L2_DEPTH"], metrics,
                               max_pending=cfg["WS_MAX_PENDING_MESSAGES"], subscribe_rate=cfg["WS_SUBSCRIBE_RATE"])
    app.extensions["me_feed"] = feed
    store = app.extensions.get("me_store")
    if store is not None and store.fsync == "always":
        feed.journal = store  # publish only what the journal holds durably
        store.on_commit.append(feed.wake)
    engine.add_event_listener(feed.on_event)
    if cfg["FEED_ENABLED"]:
        feed.start()
    return app
