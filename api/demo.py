"""Two demo accounts on a fresh start, so the dashboard is usable at once.

On a server bound to loopback whose engine has no accounts yet (a new data directory,
or every start in memory), ``demo-1`` and ``demo-2`` are created with one key each and a billion of every asset.
The keys are printed once and kept, readable by the owner only, in ``demo-keys.json``
in the data directory, so the dashboard can sign in with them after a restart too
(``GET /demo/keys``, loopback only).  ``--no-demo`` skips all of it.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from api.auth import fund, is_loopback, open_account
from engine.matcher import MatchingEngine

log = logging.getLogger("api.demo")

DEMO_NAMES = ("demo-1", "demo-2")
KEYS_FILE = "demo-keys.json"
DEMO_FUNDS = 1_000_000_000  # of every asset: play money, enough for long load tests


def keys_path(app: Flask) -> Path | None:
    store = app.extensions.get("me_store")
    return store.path.parent / KEYS_FILE if store is not None else None


def ensure_demo_accounts(app: Flask, engine: MatchingEngine) -> list[dict[str, Any]]:
    """Create the demo accounts if this is a fresh loopback server; return the keys created now (else [])."""
    app.extensions["me_demo_keys"] = []
    if not app.config["DEMO_ACCOUNTS"] or not is_loopback(app.config["HOST"]):
        return []
    path = keys_path(app)
    if len(engine.accounts):
        if path is not None and path.exists():
            try:
                app.extensions["me_demo_keys"] = json.loads(path.read_text())["accounts"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("demo keys not readable: %s", exc)
        return []
    created = []
    for name in DEMO_NAMES:
        result, account = open_account(engine, name)
        if account is None:
            log.warning("demo account %s not created: %s", name, result.code.value)
            return []
        refused = fund(engine, account["account_id"], DEMO_FUNDS)
        if refused is not None:
            log.warning("demo account %s not funded: %s", name, refused.code.value)
        created.append(account)
    store = app.extensions.get("me_store")
    if store is not None and not store.wait_durable():
        return []
    if path is not None:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"accounts": created}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    app.extensions["me_demo_keys"] = created
    app.extensions["me_demo_created"] = True
    return created
