"""Server settings: defaults, overridden by ``ME_*`` environment variables, then by a mapping."""
from __future__ import annotations

import os
import secrets
from typing import Any, Mapping

DEFAULTS: dict[str, Any] = {
    "HOST": "127.0.0.1",
    "PORT": 5000,
    "SYMBOLS": "crypto",              # preset: crypto or forex
    "ASYNC_MODE": "eventlet",         # eventlet or threading
    "RATE_LIMIT": "600000 per minute",  # Flask-Limiter syntax; per client address
    "RATE_LIMIT_ENABLED": True,
    "CORS_ORIGINS": "",               # comma-separated; empty = same origin only
    "LOG_LEVEL": "INFO",
    "LOG_FILE": None,                 # nothing is written unless set
    "L2_INTERVAL_MS": 100,            # at most one l2_update per symbol per interval
    "L2_DEPTH": 10,
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "HISTORY_LIMIT": 100_000,         # finished orders kept per symbol
    "SECRET_KEY": None,               # random when not given
    "FEED_ENABLED": True,
    "DATA_DIR": None,                 # None: in memory only
    "FSYNC": "always",                # always, batch or off (see api/storage/store.py)
    "FSYNC_BATCH_MS": 10,
    "SNAPSHOT_INTERVAL_S": 300,
    "SNAPSHOT_MODE": "fork",          # fork: built by a copy-on-write child; inline: under the engine lock
    "HISTORY_RETENTION": None,        # e.g. "7d": order and trade history older than this is deleted
    "ADMIN_KEY": None,                # X-Admin-Key for /admin/...; None: the admin surface does not exist
    "DEMO_ACCOUNTS": True,            # create demo-1 and demo-2 on a fresh loopback server (api/demo.py)
    # Connections (eventlet server; see api/connections.py and the README's "Limits")
    "HEADER_TIMEOUT_S": 10.0,         # a request head must be complete this long after it starts
    "KEEPALIVE_TIMEOUT_S": 5.0,       # an idle kept-alive connection is closed after this long
    "MAX_CONNECTIONS": 10_000,        # simultaneous connections; past it a 503 with Retry-After
    # Socket.IO clients (api/feed_limits.py)
    "WS_MAX_MESSAGE_BYTES": 16 * 1024,  # largest message (or polling body) accepted from a client
    "WS_SEND_BUFFER_BYTES": 64 * 1024,  # kernel send buffer of a WebSocket (Linux doubles it)
    "WS_MAX_PENDING_MESSAGES": 1000,  # queued output past which a client that stopped reading is dropped
    "WS_SUBSCRIBE_RATE": 20.0,        # subscribe/unsubscribe messages a second per connection (burst the same)
}

_INT_KEYS = {"PORT", "L2_INTERVAL_MS", "L2_DEPTH", "MAX_CONTENT_LENGTH", "HISTORY_LIMIT", "FSYNC_BATCH_MS",
             "SNAPSHOT_INTERVAL_S", "MAX_CONNECTIONS", "WS_MAX_MESSAGE_BYTES", "WS_MAX_PENDING_MESSAGES",
             "WS_SEND_BUFFER_BYTES"}
_FLOAT_KEYS = {"HEADER_TIMEOUT_S", "KEEPALIVE_TIMEOUT_S", "WS_SUBSCRIBE_RATE"}
_BOOL_KEYS = {"RATE_LIMIT_ENABLED", "FEED_ENABLED", "DEMO_ACCOUNTS"}


def _coerce(key: str, value: Any) -> Any:
    if key in _INT_KEYS and isinstance(value, str):
        return int(value)
    if key in _FLOAT_KEYS and isinstance(value, (str, int)):
        return float(value)
    if key in _BOOL_KEYS and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return value


def load_config(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Merge defaults, ``ME_<KEY>`` environment variables and ``overrides``."""
    env = os.environ if environ is None else environ
    cfg = dict(DEFAULTS)
    for key in DEFAULTS:
        if f"ME_{key}" in env:
            cfg[key] = _coerce(key, env[f"ME_{key}"])
    for key, value in (overrides or {}).items():
        cfg[key] = _coerce(key, value)
    if cfg["SYMBOLS"] not in ("crypto", "forex"):
        raise ValueError(f"SYMBOLS must be 'crypto' or 'forex', not {cfg['SYMBOLS']!r}")
    if cfg["ASYNC_MODE"] not in ("eventlet", "threading"):
        raise ValueError(f"ASYNC_MODE must be 'eventlet' or 'threading', not {cfg['ASYNC_MODE']!r}")
    if cfg["FSYNC"] not in ("always", "batch", "off"):
        raise ValueError(f"FSYNC must be 'always', 'batch' or 'off', not {cfg['FSYNC']!r}")
    for key in ("HEADER_TIMEOUT_S", "KEEPALIVE_TIMEOUT_S", "MAX_CONNECTIONS", "WS_MAX_MESSAGE_BYTES",
                "WS_MAX_PENDING_MESSAGES", "WS_SUBSCRIBE_RATE", "WS_SEND_BUFFER_BYTES"):
        if not cfg[key] > 0:
            raise ValueError(f"{key} must be positive, not {cfg[key]!r}")
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = secrets.token_hex(32)
    return cfg


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration_s(text: str | None) -> int | None:
    """``"7d"``, ``"12h"``, ``"30m"``, ``"90s"`` as seconds; None, ``""`` or ``"0"`` for none."""
    if text is None or str(text).strip() in ("", "0"):
        return None
    text = str(text).strip().lower()
    number, unit = text[:-1], text[-1:]
    if unit not in _UNITS or not number.isdigit() or int(number) <= 0 or len(number) > 9:
        raise ValueError(f"a retention must look like 7d, 12h, 30m or 90s, not {text!r}")
    return int(number) * _UNITS[unit]
