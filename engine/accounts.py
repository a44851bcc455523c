"""Accounts and their API keys, as engine state.

An account has an id, a unique name and one or more keys.  A key is presented as
``me_<key id>_<secret>``: the key id finds the key in O(1), and only the SHA-256
digest of the secret is kept, compared in constant time.  Secrets are made at the
edge (``api/auth.py``); the engine only ever sees key ids and digests, so
``CreateAccount`` / ``AddKey`` / ``SetKeyStatus`` / ``SetAccountStatus`` replay
exactly like orders.
"""
from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum
from typing import Any


class KeyStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # refused until enabled again
    REVOKED = "revoked"  # refused for good


KEY_STATUS_OF: dict[str, KeyStatus] = {s.value: s for s in KeyStatus}
KEY_PREFIX = "me_"
KEY_ID_LENGTH = 12  # hex characters (48 random bits): the lookup part, not a secret
MIN_SECRET_LENGTH = 22  # URL-safe base64 characters: at least 128 bits
MAX_KEY_LENGTH = 128
MAX_NAME_LENGTH = 64
_HEX = frozenset("0123456789abcdef")


def digest(secret: str) -> str:
    """The stored form of a key's secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(key: object) -> tuple[str, str] | None:
    """``(key id, secret)`` of a presented key, or None if it is not shaped like one. O(len)."""
    if type(key) is not str or len(key) > MAX_KEY_LENGTH or not key.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = key[len(KEY_PREFIX):].partition("_")
    if not sep or not valid_key_id(key_id) or len(secret) < MIN_SECRET_LENGTH or not secret.isascii():
        return None
    return key_id, secret


def valid_key_id(key_id: object) -> bool:
    return type(key_id) is str and len(key_id) == KEY_ID_LENGTH and _HEX.issuperset(key_id)


def valid_digest(text: object) -> bool:
    return type(text) is str and len(text) == 64 and _HEX.issuperset(text)


def valid_name(name: object) -> bool:
    return type(name) is str and 0 < len(name) <= MAX_NAME_LENGTH and name.isprintable() and name == name.strip()


class ApiKey:
    __slots__ = ("key_id", "account_id", "digest", "status", "created_ns")

    def __init__(self, key_id: str, account_id: int, digest: str, status: KeyStatus, created_ns: int) -> None:
        self.key_id = key_id
        self.account_id = account_id
        self.digest = digest
        self.status = status
        self.created_ns = created_ns


class Account:
    __slots__ = ("account_id", "name", "enabled", "created_ns", "key_ids", "live")

    def __init__(self, account_id: int, name: str, enabled: bool, created_ns: int) -> None:
        self.account_id = account_id
        self.name = name
        self.enabled = enabled
        self.created_ns = created_ns
        self.key_ids: list[str] = []
        self.live: dict[int, Any] = {}  # order id -> this account's resting order (kept by the engine)


class Accounts:
    """Every account and key the engine knows. Changed only by the engine's account commands."""

    __slots__ = ("by_id", "by_name", "keys", "next_account_id")

    def __init__(self) -> None:
        self.by_id: dict[int, Account] = {}
        self.by_name: dict[str, Account] = {}
        self.keys: dict[str, ApiKey] = {}
        self.next_account_id = 1

    def __len__(self) -> int:
        return len(self.by_id)

    def authenticate(self, key: object) -> tuple[Account | None, str | None]:
        """The enabled account an active key belongs to, and the key id (for logs), or ``(None, key id)``.

        The digest comparison takes the same time whether or not it matches.  O(len(key)).
        """
        parts = split_key(key)
        if parts is None:
            return None, None
        key_id, secret = parts
        found = self.keys.get(key_id)
        if found is None:
            hmac.compare_digest(digest(secret), "0" * 64)  # the same work as a known key id
            return None, key_id
        if not hmac.compare_digest(digest(secret), found.digest) or found.status is not KeyStatus.ACTIVE:
            return None, key_id
        account = self.by_id.get(found.account_id)
        if account is None or not account.enabled:
            return None, key_id
        return account, key_id

    def find(self, name_or_id: str | int) -> Account | None:
        """An account by id (an int or a string of digits) or by name. O(1)."""
        if isinstance(name_or_id, int):
            return self.by_id.get(name_or_id)
        if name_or_id.isascii() and name_or_id.isdigit() and len(name_or_id) <= 18:
            found = self.by_id.get(int(name_or_id))
            if found is not None:
                return found
        return self.by_name.get(name_or_id)

    # ---- snapshots -----------------------------------------------------------

    def export(self) -> dict[str, Any]:
        return {
            "next_account_id": self.next_account_id,
            "accounts": [[a.account_id, a.name, a.enabled, a.created_ns] for a in self.by_id.values()],
            "keys": [[k.key_id, k.account_id, k.digest, k.status.value, k.created_ns] for k in self.keys.values()],
        }

    def load(self, data: dict[str, Any]) -> None:
        if self.by_id or self.keys:
            raise ValueError("the accounts are not empty")
        self.next_account_id = data["next_account_id"]
        for account_id, name, enabled, created in data["accounts"]:
            account = Account(account_id, name, enabled, created)
            self.by_id[account_id] = account
            self.by_name[name] = account
        for key_id, account_id, dig, status, created in data["keys"]:
            self.keys[key_id] = ApiKey(key_id, account_id, dig, KEY_STATUS_OF[status], created)
            self.by_id[account_id].key_ids.append(key_id)

    def check_invariants(self) -> None:
        assert len(self.by_id) == len(self.by_name), "account name index differs from the accounts"
        for account_id, account in self.by_id.items():
            assert account.account_id == account_id and self.by_name.get(account.name) is account
            assert account_id < self.next_account_id, f"account {account_id} at or past the next id"
            for key_id in account.key_ids:
                assert self.keys[key_id].account_id == account_id, f"key {key_id} listed under the wrong account"
        assert sum(len(a.key_ids) for a in self.by_id.values()) == len(self.keys), "a key belongs to no account"
