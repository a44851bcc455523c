"""Extensions, made afresh for each app in ``create_app``: two apps in one process share nothing."""
from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_socketio import SocketIO

from api.auth import rate_limit_key
from api.limiter_storage import WindowCounters


def make_limiter() -> Limiter:
    """A rate limiter with its own in-memory storage; the limit and the switch come from its app's config."""
    return Limiter(
        key_func=rate_limit_key,  # per account for a request with a valid key, else per address
        default_limits=[lambda: current_app.config["RATE_LIMIT"]],
        default_limits_exempt_when=lambda: not current_app.config["RATE_LIMIT_ENABLED"],
        storage_uri=WindowCounters.STORAGE_SCHEME[0] + "://",  # in memory, no timer thread (api/limiter_storage.py)
        strategy="fixed-window",
    )


def make_socketio() -> SocketIO:
    """A Socket.IO server of its own (bound to its app by ``init_app``)."""
    return SocketIO()


def socketio_of(app: Flask) -> SocketIO:
    """The app's Socket.IO server."""
    return app.extensions["socketio"]


def limiter_of(app: Flask) -> Limiter:
    """The app's rate limiter."""
    return app.extensions["me_limiter"]
