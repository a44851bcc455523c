"""API keys at the edge: making them, reading them from a request, and refusing bad ones.

A key is ``me_<key id>_<secret>`` (``engine/accounts.py``): 48 bits of key id for the
lookup and 256 bits of secret, of which the engine keeps only the SHA-256.  The secret
is shown once, when the key is made, and never logged: logs carry the key id.
Addresses that keep sending bad keys are answered ``429`` for a while.
"""
from __future__ import annotations

import ipaddress
import logging
import math
import secrets
import time
from typing import Any, Callable

from flask import Flask, current_app, g, request
from limits import parse

from api.errors import ApiError
from engine.accounts import KEY_PREFIX, Account, digest
from engine.commands import AddKey, CreateAccount, Deposit
from engine.errors import ResultCode
from engine.matcher import MatchingEngine
from engine.results import Result

log = logging.getLogger("api.auth")

BAD_KEY_LIMIT = parse("20 per minute")  # bad keys one address may send before it is answered 429
MISSING_KEY = "an API key is required: send it in the X-API-Key header (or Authorization: Bearer <key>)"
BAD_KEY = "the API key is not valid: unknown, disabled or revoked, or its account is disabled"


def new_key() -> tuple[str, str, str]:
    """A fresh key: ``(key id, secret, the key as a client presents it)``."""
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    return key_id, secret, f"{KEY_PREFIX}{key_id}_{secret}"


def add_key(engine: MatchingEngine, account_id: int) -> tuple[Result, str | None]:
    """Give an account a new key; return the result and the key (None if refused)."""
    for _ in range(3):  # a key id collision is a 1 in 2**48 event; try again rather than fail
        key_id, secret, text = new_key()
        result = engine.execute(AddKey(account_id, key_id, digest(secret)))
        if result.code is not ResultCode.KEY_ID_IN_USE:
            return result, (text if result.executed else None)
    return result, None


def open_account(engine: MatchingEngine, name: str) -> tuple[Result, dict[str, Any] | None]:
    """Create an account with one key; return the result and ``{account_id, name, key_id, api_key}``."""
    result = engine.execute(CreateAccount(name))
    if not result.executed:
        return result, None
    account_id = result.command.account_id
    keyed, key = add_key(engine, account_id)
    if key is None:
        return keyed, None
    return result, {"account_id": account_id, "name": name, "key_id": key.split("_")[1], "api_key": key}


def fund(engine: MatchingEngine, account_id: int, whole_units: int) -> Result | None:
    """Deposit ``whole_units`` of every asset the engine knows into an account (demo funds); the first refusal,
    or None."""
    for asset, places in sorted(engine.accounts.decimals.items()):
        result = engine.execute(Deposit(account_id, asset, whole_units * 10**places))
        if not result.executed:
            return result
    return None


def presented_key(header: Callable[[str], str | None]) -> str | None:
    """The key a request carries: ``X-API-Key``, else ``Authorization: Bearer``."""
    key = header("X-API-Key")
    if key:
        return key.strip()
    auth = header("Authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return None


class KeyGuard:
    """Authenticates keys and counts bad ones per address in the app's rate-limit storage."""

    def __init__(self, engine: MatchingEngine, strategy: Any) -> None:
        self.engine = engine
        self.strategy = strategy  # a `limits` strategy (the app's Flask-Limiter storage)

    def locked_out(self, address: str) -> int | None:
        """Seconds until ``address`` may try keys again, or None."""
        if self.strategy.test(BAD_KEY_LIMIT, "bad-key", address):
            return None
        reset = self.strategy.get_window_stats(BAD_KEY_LIMIT, "bad-key", address).reset_time
        return max(1, math.ceil(reset - time.time()))

    def account(self, key: str | None, address: str) -> Account:
        """The account of ``key``, or an ApiError: 401 for a missing or bad key, 429 for a bad key from an
        address that keeps sending them.  A valid key is never refused for its address's failures."""
        if not key:
            raise ApiError(401, "UNAUTHENTICATED", "API_KEY_REQUIRED", MISSING_KEY)
        account, key_id = self.engine.authenticate(key)
        if account is not None:
            return account
        self.refuse(key_id, address)
        raise AssertionError("unreachable")

    def refuse(self, key_id: str | None, address: str, message: str = BAD_KEY,
               reason: str = "INVALID_API_KEY") -> None:
        """Count a bad key from ``address`` and raise its answer: 401, or 429 once the address keeps trying."""
        retry = self.locked_out(address)
        if retry is not None:
            raise ApiError(429, "RATE_LIMITED", "TOO_MANY_BAD_KEYS",
                           f"too many invalid API keys from this address; retry in {retry} s",
                           ).with_header("Retry-After", str(retry))
        self.strategy.hit(BAD_KEY_LIMIT, "bad-key", address)
        log.warning("refused an API key", extra={"key_id": key_id, "client": address})
        raise ApiError(401, "UNAUTHENTICATED", reason, message)


def guard_of(app: Flask) -> KeyGuard:
    return app.extensions["me_key_guard"]


def request_account() -> Account:
    """The account of the current Flask request's key (checked once per request), or a 401/429 ApiError."""
    cached = g.get("me_account")
    if cached is not None:
        return cached
    account = guard_of(current_app).account(presented_key(request.headers.get), request.remote_addr or "")
    g.me_account = account
    return account


# The endpoints that need a key: their rate limit counts per account.  Everything else (public
# market data) counts per address, whatever key a request carries, so a public endpoint tells
# nothing about a key.
PRIVATE_ENDPOINTS = frozenset({"orders.cancel_order", "orders.order_status", "orders.order_by_client_id",
                               "accounts.account", "accounts.orders", "accounts.fills",
                               "accounts.set_self_trade_prevention"})


def rate_limit_key() -> str:
    """Flask-Limiter's key: the account on a private endpoint with a valid key, else the client address."""
    if request.endpoint in PRIVATE_ENDPOINTS:
        key = presented_key(request.headers.get)
        if key:
            account, _ = guard_of(current_app).engine.authenticate(key)
            if account is not None:
                g.me_account = account  # the view needs it too: hashed once per request
                return f"account:{account.account_id}"
    return request.remote_addr or ""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False
