"""The accounts the load tester trades with, and the API keys it sends.

Three sources, in this order:

* ``--api-key KEY`` (repeatable): each key is checked with ``GET /account`` before the run;
* ``--accounts N --admin-key K``: N fresh accounts, ``loadtest-<run id>-<i>``, created through
  ``POST /admin/accounts`` (the server must have been started with ``--admin-key``);
* neither: the demo accounts of a server on loopback (``GET /demo/keys``).

Keys are secrets: nothing here prints or reports one, only account names, ids and key ids.
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from scripts.loadtest.http import HttpConnection

NO_KEYS_HINT = "pass --api-key KEY (repeatable) or --accounts N --admin-key K"


class AccountError(Exception):
    """The accounts could not be had: a refused key, no admin surface, no demo keys."""


@dataclass(frozen=True)
class Account:
    api_key: str
    name: str | None = None
    account_id: int | None = None

    @property
    def key_id(self) -> str:
        """The public part of the key (``me_<key id>_<secret>``), safe to show."""
        parts = self.api_key.split("_")
        return parts[1] if len(parts) >= 3 and parts[0] == "me" else "?"

    @property
    def label(self) -> str:
        return self.name or f"key {self.key_id}"

    def header(self) -> bytes:
        """The request header line that carries the key."""
        return b"X-API-Key: " + self.api_key.encode("latin-1") + b"\r\n"

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "account_id": self.account_id, "key_id": self.key_id}


@dataclass
class Accounts:
    source: str  # "api-key", "created", "demo" or "none"
    accounts: list[Account]

    def __len__(self) -> int:
        return len(self.accounts)

    @property
    def distinct(self) -> int:
        """How many different accounts (two keys of one account count once)."""
        return len({a.account_id if a.account_id is not None else a.api_key for a in self.accounts})


def run_id() -> str:
    """A short id for this run, in the names of the accounts it creates."""
    return f"{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"


def _message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace").strip()
    if isinstance(data, dict):
        text = data.get("error") or data.get("message")
        code = data.get("reason") or data.get("error_code")
        if text and code:
            return f"{text} ({code})"
        return str(text or code or data)[:200]
    return str(data)[:200]


async def _request(base_url: str, method: str, path: str, body: Any = None, headers: bytes = b"",
                   timeout_s: float = 10.0) -> tuple[int, bytes]:
    conn = HttpConnection(base_url, timeout_s)
    try:
        raw = json.dumps(body).encode() if body is not None else None
        return await conn.request(method, path, raw, headers)
    finally:
        conn.close()


async def check_keys(base_url: str, keys: list[str], timeout_s: float = 10.0) -> list[Account]:
    """Each key's account, from ``GET /account``; an AccountError naming the first refused key."""
    out = []
    for n, key in enumerate(keys, 1):
        account = Account(key.strip())
        if not account.api_key:
            raise AccountError(f"--api-key #{n} is empty")
        status, body = await _request(base_url, "GET", "/account", headers=account.header(), timeout_s=timeout_s)
        if status != 200:
            raise AccountError(f"--api-key #{n} (key id {account.key_id}) was refused: GET /account answered "
                               f"{status}: {_message(body)}")
        data = json.loads(body)
        out.append(Account(account.api_key, data.get("name"), data.get("account_id")))
    return out


async def create_accounts(base_url: str, count: int, admin_key: str, run: str | None = None,
                          timeout_s: float = 10.0) -> list[Account]:
    """``count`` new accounts ``loadtest-<run id>-<i>`` through the admin surface, each funded with FUNDS
    of every asset."""
    run = run or run_id()
    header = b"X-Admin-Key: " + admin_key.encode("latin-1") + b"\r\n"
    out = []
    for i in range(1, count + 1):
        name = f"loadtest-{run}-{i}"
        status, body = await _request(base_url, "POST", "/admin/accounts", {"name": name}, header, timeout_s)
        if status == 201:
            data = json.loads(body)
            await _fund(base_url, name, header, timeout_s)
            out.append(Account(data["api_key"], data.get("name", name), data.get("account_id")))
            continue
        why = _message(body)
        if status == 404:
            raise AccountError(f"the server has no admin surface (POST /admin/accounts answered 404: {why}); start it "
                               f"with --admin-key K (or ME_ADMIN_KEY), or pass --api-key KEY instead of --accounts")
        if status == 401:
            raise AccountError(f"the server refused the admin key (POST /admin/accounts answered 401: {why})")
        raise AccountError(f"could not create account {name!r}: POST /admin/accounts answered {status}: {why}")
    return out


FUNDS = "1000000000"  # of every asset, for a new load-test account: its orders must never run short


async def _fund(base_url: str, name: str, header: bytes, timeout_s: float) -> None:
    """Deposit FUNDS of every asset the server trades into a new account (POST /admin/accounts/<name>/deposit)."""
    status, body = await _request(base_url, "GET", "/symbols", None, b"", timeout_s)
    if status != 200:
        raise AccountError(f"GET /symbols answered {status}: {_message(body)}")
    assets = sorted({part for symbol in json.loads(body)["symbols"] for part in symbol.split("-")})
    for asset in assets:
        status, body = await _request(base_url, "POST", f"/admin/accounts/{name}/deposit",
                                      {"asset": asset, "amount": FUNDS}, header, timeout_s)
        if status != 200:
            raise AccountError(f"could not fund account {name!r} with {asset}: POST /admin/accounts/{name}/deposit "
                               f"answered {status}: {_message(body)}")


async def demo_accounts(base_url: str, timeout_s: float = 10.0) -> list[Account]:
    status, body = await _request(base_url, "GET", "/demo/keys", timeout_s=timeout_s)
    listed: list[dict] = []
    if status == 200:
        try:
            data = json.loads(body)
            listed = [a for a in data.get("accounts", []) if isinstance(a, dict) and a.get("api_key")]
        except (ValueError, AttributeError):
            listed = []
    if not listed:
        why = f"GET /demo/keys answered {status}" + (f": {_message(body)}" if status != 200 else " with no accounts")
        raise AccountError(f"no API key to send: the server hands out no demo keys ({why}); {NO_KEYS_HINT}")
    return [Account(a["api_key"], a.get("name"), a.get("account_id")) for a in listed]


async def resolve(base_url: str, api_keys: list[str] | None, count: int | None, admin_key: str | None,
                  needed: bool = True, timeout_s: float = 10.0) -> Accounts:
    """The accounts of a run. With neither keys nor a count, the demo accounts when ``needed``
    (the requests need a key), else none (public requests go without a key)."""
    if api_keys and count:
        raise AccountError("give --api-key or --accounts, not both")
    if api_keys:
        return Accounts("api-key", await check_keys(base_url, api_keys, timeout_s))
    if count is not None:
        if count < 1:
            raise AccountError(f"--accounts must be at least 1, not {count}")
        if not admin_key:
            raise AccountError("--accounts needs the server's admin key: --admin-key K (or ME_ADMIN_KEY)")
        return Accounts("created", await create_accounts(base_url, count, admin_key, timeout_s=timeout_s))
    if not needed:
        return Accounts("none", [])
    return Accounts("demo", await demo_accounts(base_url, timeout_s))


PRIVATE_PATHS = ("/order", "/orders", "/cancel", "/fills", "/account")


def needs_key(path: str) -> bool:
    """Whether a request to ``path`` needs an API key (order entry and the account's own data)."""
    path = path.split("?", 1)[0].rstrip("/") or "/"
    return path in PRIVATE_PATHS or path.startswith("/order/")
