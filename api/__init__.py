"""The network face of the engine: Flask REST, Socket.IO feeds, the dashboard.

Kept import-light so that ``python -m api`` can monkey-patch for eventlet before
Flask is imported; ``from api import create_app`` loads the factory on demand.
"""
from __future__ import annotations

from typing import Any

__all__ = ["create_app", "socketio", "limiter"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from api.app import create_app

        return create_app
    if name in ("socketio", "limiter"):
        from api import extensions

        return getattr(extensions, name)
    raise AttributeError(name)
