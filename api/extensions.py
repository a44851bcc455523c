"""Extensions created once and bound to each app in ``create_app``."""
from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_socketio import SocketIO

socketio = SocketIO()

# The limit and the on/off switch are read from the current app on each request,
# so that every app built by create_app() gets its own settings.
limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[lambda: current_app.config["RATE_LIMIT"]],
    default_limits_exempt_when=lambda: not current_app.config["RATE_LIMIT_ENABLED"],
    storage_uri="memory://",
    strategy="fixed-window",
)
