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
from typing import Any, Callable

from engine.balances import MAX_AMOUNT, balance_rows
from engine.commands import (
    AddKey,
    CreateAccount,
    Deposit,
    SetAccountStatus,
    SetKeyStatus,
    SetSelfTradePrevention,
    Withdraw,
)
from engine.self_trade import DEFAULT as STP_DEFAULT
from engine.self_trade import MODES as STP_MODES
from engine.errors import ResultCode
from engine.results import Result

MAX_ACCOUNT_ID = 2**63 - 1
_OK = ResultCode.OK


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
    """1 to 64 printable characters, no surrounding spaces, and not all digits (those name account ids)."""
    return (type(name) is str and 0 < len(name) <= MAX_NAME_LENGTH and name.isprintable() and name == name.strip()
            and not (name.isascii() and name.isdigit()))


class ApiKey:
    __slots__ = ("key_id", "account_id", "digest", "status", "created_ns")

    def __init__(self, key_id: str, account_id: int, digest: str, status: KeyStatus, created_ns: int) -> None:
        self.key_id = key_id
        self.account_id = account_id
        self.digest = digest
        self.status = status
        self.created_ns = created_ns


class Account:
    __slots__ = ("account_id", "name", "enabled", "created_ns", "key_ids", "live", "available", "locked", "stp")

    def __init__(self, account_id: int, name: str, enabled: bool, created_ns: int) -> None:
        self.account_id = account_id
        self.name = name
        self.enabled = enabled
        self.created_ns = created_ns
        self.key_ids: list[str] = []
        self.live: dict[int, Any] = {}  # order id -> this account's resting order (kept by the engine)
        self.available: dict[str, int] = {}  # asset -> units free to trade or withdraw
        self.locked: dict[str, int] = {}  # asset -> units held by open orders
        self.stp = STP_DEFAULT  # self-trade prevention for orders that name none


class Accounts:
    """Every account and key the engine knows. Changed only by the engine's account commands."""

    __slots__ = ("by_id", "by_name", "keys", "next_account_id", "decimals", "fees", "supply", "mixed")

    def __init__(self) -> None:
        self.by_id: dict[int, Account] = {}
        self.by_name: dict[str, Account] = {}
        self.keys: dict[str, ApiKey] = {}
        self.next_account_id = 1
        self.decimals: dict[str, int] = {}  # asset -> its smallest unit is 10**-decimals (set by the symbols)
        self.fees: dict[str, int] = {}  # the venue's fee account: asset -> units
        self.supply: dict[str, int] = {}  # asset -> deposits minus withdrawals
        self.mixed = False  # an order with an account traded with one without (conservation no longer checkable)

    def __len__(self) -> int:
        return len(self.by_id)

    def authenticate(self, key: object) -> tuple[Account | None, str | None]:
        """The enabled account an active key belongs to, and the key id (for logs), or ``(None, key id)``.

        The digest comparison takes the same time whether or not it matches.  O(len(key)).
        """
        parts = split_key(key)
        if parts is None:
            return None, None
        return self.verify(parts[0], digest(parts[1])), parts[0]

    def verify(self, key_id: str, secret_digest: str) -> Account | None:
        """The enabled account of an active key with this id and secret digest, else None. O(1)."""
        found = self.keys.get(key_id)
        if found is None:
            hmac.compare_digest(secret_digest, "0" * 64)  # the same work as for a known key id
            return None
        if not hmac.compare_digest(secret_digest, found.digest) or found.status is not KeyStatus.ACTIVE:
            return None
        account = self.by_id.get(found.account_id)
        return account if account is not None and account.enabled else None

    def find(self, name_or_id: str | int) -> Account | None:
        """An account by id (an int or a string of digits) or by name. O(1)."""
        if isinstance(name_or_id, int):
            return self.by_id.get(name_or_id)
        if name_or_id.isascii() and name_or_id.isdigit() and len(name_or_id) <= 18:
            found = self.by_id.get(int(name_or_id))
            if found is not None:
                return found
        return self.by_name.get(name_or_id)

    # ---- commands (run by MatchingEngine.execute, under its lock) -------------------

    def create(self, cmd: CreateAccount, clock: Callable[[], int]) -> Result:
        """Execute a CreateAccount: a new account with a unique name (its id from the command, else the next)."""
        if not valid_name(cmd.name):
            return Result(ResultCode.INVALID_ACCOUNT_NAME, cmd)
        if cmd.name in self.by_name:
            return Result(ResultCode.ACCOUNT_NAME_IN_USE, cmd)
        account_id = cmd.account_id
        if account_id is None:
            account_id = self.next_account_id
        elif type(account_id) is not int or not 0 < account_id <= MAX_ACCOUNT_ID:
            return Result(ResultCode.INVALID_ACCOUNT_ID, cmd)
        elif account_id in self.by_id:
            return Result(ResultCode.ACCOUNT_ID_IN_USE, cmd)
        ts = cmd.ts_ns if cmd.ts_ns is not None else clock()
        account = Account(account_id, cmd.name, True, ts)
        self.by_id[account_id] = account
        self.by_name[cmd.name] = account
        self.next_account_id = max(self.next_account_id, account_id + 1)
        return Result(_OK, CreateAccount(cmd.name, account_id, ts), ts_ns=ts)

    def add_key(self, cmd: AddKey, clock: Callable[[], int]) -> Result:
        """Execute an AddKey: a key id and a secret's digest for an existing account."""
        account = self.by_id.get(cmd.account_id) if type(cmd.account_id) is int else None
        if account is None:
            return Result(ResultCode.UNKNOWN_ACCOUNT if type(cmd.account_id) is int else ResultCode.INVALID_ACCOUNT_ID,
                          cmd)
        if not valid_key_id(cmd.key_id):
            return Result(ResultCode.INVALID_KEY_ID, cmd)
        if cmd.key_id in self.keys:
            return Result(ResultCode.KEY_ID_IN_USE, cmd)
        if not valid_digest(cmd.digest):
            return Result(ResultCode.INVALID_KEY_DIGEST, cmd)
        ts = cmd.ts_ns if cmd.ts_ns is not None else clock()
        self.keys[cmd.key_id] = ApiKey(cmd.key_id, account.account_id, cmd.digest, KeyStatus.ACTIVE, ts)
        account.key_ids.append(cmd.key_id)
        return Result(_OK, AddKey(cmd.account_id, cmd.key_id, cmd.digest, ts), ts_ns=ts)

    def set_key_status(self, cmd: SetKeyStatus) -> Result:
        """Execute a SetKeyStatus; a revoked key stays revoked."""
        key = self.keys.get(cmd.key_id) if type(cmd.key_id) is str else None
        if key is None:
            return Result(ResultCode.UNKNOWN_KEY, cmd)
        status = KEY_STATUS_OF.get(cmd.status) if type(cmd.status) is str else None
        if status is None:
            return Result(ResultCode.INVALID_KEY_STATUS, cmd)
        if key.status is KeyStatus.REVOKED:
            return Result(ResultCode.KEY_REVOKED, cmd)
        key.status = status
        return Result(_OK, SetKeyStatus(cmd.key_id, status.value))

    def set_account_status(self, cmd: SetAccountStatus) -> Result:
        """Execute a SetAccountStatus."""
        account = self.by_id.get(cmd.account_id) if type(cmd.account_id) is int else None
        if account is None:
            return Result(ResultCode.UNKNOWN_ACCOUNT, cmd)
        if type(cmd.enabled) is not bool:
            return Result(ResultCode.INVALID_COMMAND, cmd)
        account.enabled = cmd.enabled
        return Result(_OK, cmd)

    def set_self_trade_prevention(self, cmd: SetSelfTradePrevention) -> Result:
        """Execute a SetSelfTradePrevention: the account's default mode."""
        account = self.by_id.get(cmd.account_id) if type(cmd.account_id) is int else None
        if account is None:
            return Result(ResultCode.UNKNOWN_ACCOUNT, cmd)
        if cmd.mode not in STP_MODES:
            return Result(ResultCode.INVALID_SELF_TRADE_PREVENTION, cmd)
        account.stp = cmd.mode
        return Result(_OK, cmd)

    def _amount_refusal(self, cmd: Any) -> tuple[Account | None, ResultCode | None]:
        account = self.by_id.get(cmd.account_id) if type(cmd.account_id) is int else None
        if account is None:
            return None, ResultCode.UNKNOWN_ACCOUNT
        if type(cmd.asset) is not str or cmd.asset not in self.decimals:
            return None, ResultCode.UNKNOWN_ASSET
        if type(cmd.amount) is not int or not 0 < cmd.amount <= MAX_AMOUNT:
            return None, ResultCode.INVALID_AMOUNT
        return account, None

    def deposit(self, cmd: Deposit, clock: Callable[[], int]) -> Result:
        """Execute a Deposit: credit ``available``."""
        account, refusal = self._amount_refusal(cmd)
        if account is None:
            return Result(refusal, cmd)  # type: ignore[arg-type]
        ts = cmd.ts_ns if cmd.ts_ns is not None else clock()
        account.available[cmd.asset] = account.available.get(cmd.asset, 0) + cmd.amount
        self.supply[cmd.asset] = self.supply.get(cmd.asset, 0) + cmd.amount
        return Result(_OK, Deposit(cmd.account_id, cmd.asset, cmd.amount, ts), ts_ns=ts)

    def withdraw(self, cmd: Withdraw, clock: Callable[[], int]) -> Result:
        """Execute a Withdraw: debit ``available``; refused if it holds less."""
        account, refusal = self._amount_refusal(cmd)
        if account is None:
            return Result(refusal, cmd)  # type: ignore[arg-type]
        if account.available.get(cmd.asset, 0) < cmd.amount:
            return Result(ResultCode.INSUFFICIENT_BALANCE, cmd)
        ts = cmd.ts_ns if cmd.ts_ns is not None else clock()
        account.available[cmd.asset] -= cmd.amount
        self.supply[cmd.asset] -= cmd.amount
        return Result(_OK, Withdraw(cmd.account_id, cmd.asset, cmd.amount, ts), ts_ns=ts)

    # ---- snapshots -----------------------------------------------------------

    def export(self) -> dict[str, Any]:
        return {
            "next_account_id": self.next_account_id,
            "accounts": [[a.account_id, a.name, a.enabled, a.created_ns] for a in self.by_id.values()],
            "keys": [[k.key_id, k.account_id, k.digest, k.status.value, k.created_ns] for k in self.keys.values()],
            "balances": {str(a.account_id): balance_rows(a) for a in self.by_id.values() if a.available or a.locked},
            "fees": sorted([asset, units] for asset, units in self.fees.items()),
            "supply": sorted([asset, units] for asset, units in self.supply.items()),
            "mixed": self.mixed,
            "decimals": dict(sorted(self.decimals.items())),  # the units every amount above is counted in
            "self_trade_prevention": {str(a.account_id): a.stp for a in self.by_id.values() if a.stp != STP_DEFAULT},
        }

    def load(self, data: dict[str, Any]) -> None:
        if self.by_id or self.keys:
            raise ValueError("the accounts are not empty")
        for asset, places in data.get("decimals", {}).items():
            if self.decimals.get(asset) != places:
                raise ValueError(f"the snapshot counts {asset} in 1e-{places}, this engine in "
                                 f"1e-{self.decimals.get(asset)}: its symbols differ")
        self.next_account_id = data["next_account_id"]
        for account_id, name, enabled, created in data["accounts"]:
            account = Account(account_id, name, enabled, created)
            self.by_id[account_id] = account
            self.by_name[name] = account
        for key_id, account_id, dig, status, created in data["keys"]:
            self.keys[key_id] = ApiKey(key_id, account_id, dig, KEY_STATUS_OF[status], created)
            self.by_id[account_id].key_ids.append(key_id)
        for account_id, rows in data.get("balances", {}).items():
            account = self.by_id[int(account_id)]
            for asset, available, locked in rows:
                account.available[asset] = available
                if locked:
                    account.locked[asset] = locked
        self.fees = {asset: units for asset, units in data.get("fees", [])}
        self.supply = {asset: units for asset, units in data.get("supply", [])}
        self.mixed = data.get("mixed", False)
        for account_id, mode in data.get("self_trade_prevention", {}).items():
            self.by_id[int(account_id)].stp = mode

    def check_invariants(self) -> None:
        assert len(self.by_id) == len(self.by_name), "account name index differs from the accounts"
        for account_id, account in self.by_id.items():
            assert account.account_id == account_id and self.by_name.get(account.name) is account
            assert account_id < self.next_account_id, f"account {account_id} at or past the next id"
            for key_id in account.key_ids:
                assert self.keys[key_id].account_id == account_id, f"key {key_id} listed under the wrong account"
        assert sum(len(a.key_ids) for a in self.by_id.values()) == len(self.keys), "a key belongs to no account"
