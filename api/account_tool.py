"""``matching-engine accounts create|list|new-key|disable|enable|revoke-key``: administer a stopped server's
data directory.

Each change is an engine command, journaled like an order, so the server replays it on its
next start.  The data directory's lock makes the command refuse while a server has it open;
a running server is administered through ``/admin/...`` instead (``--admin-key``).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

from api.admin import engine_for
from api.auth import add_key, open_account
from api.storage.recovery import recover
from api.storage.store import DB_NAME, Store, StoreError, default_data_dir, read_symbols
from engine.commands import SetAccountStatus, SetKeyStatus
from engine.matcher import MatchingEngine, create_crypto_engine, create_forex_engine
from engine.results import Result

ACTIONS = ("create", "list", "new-key", "disable", "enable", "revoke-key", "deposit", "withdraw")


def run_accounts_command(action: str, target: str | None, data_dir: str | None, as_json: bool,
                         symbols_preset: str = "crypto", asset: str | None = None, amount: str | None = None) -> int:
    directory = Path(data_dir) if data_dir else default_data_dir()
    if action != "list" and not target:
        print(f"error: {action} needs {'a NAME' if action == 'create' else 'a KEY_ID' if action == 'revoke-key' else 'an ACCOUNT (id or name)'}",
              file=sys.stderr)
        return 2
    path = directory / DB_NAME
    if path.exists():
        symbols = read_symbols(path)
        engine = engine_for(symbols)
    else:  # a new data directory: the server started on it later uses the same preset
        engine = (create_forex_engine if symbols_preset == "forex" else create_crypto_engine)()
        symbols = engine.symbols
    try:
        store = Store.open(directory, symbols)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        recover(engine, store)
        engine.journal = store
        if action in ("deposit", "withdraw"):
            return _move(engine, action, target, asset, amount, as_json, lambda: _durable(store))
        return _run(engine, action, target, as_json, lambda: _durable(store))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _durable(store: Store) -> bool:
    """Commit what the command journaled; False (with the reason printed) if it did not reach the disk."""
    try:
        store.commit_pending()
    except Exception as exc:  # the write failed: nothing may be reported as done
        print(f"error: the change could not be written to the journal: {exc}", file=sys.stderr)
        return False
    if store.failed:
        print("error: the change could not be written to the journal", file=sys.stderr)
        return False
    return True


def _run(engine: MatchingEngine, action: str, target: str | None, as_json: bool,
         durable: Callable[[], bool]) -> int:
    """Execute one action; print its outcome only once ``durable()`` says it is on disk."""
    accounts = engine.accounts
    if action == "list":
        rows = [{"account_id": a.account_id, "name": a.name, "enabled": a.enabled, "open_orders": len(a.live),
                 "keys": [{"key_id": k, "status": accounts.keys[k].status.value} for k in a.key_ids]}
                for a in accounts.by_id.values()]
        if as_json:
            print(json.dumps({"accounts": rows}))
        else:
            for row in rows:
                keys = ", ".join(f"{k['key_id']} ({k['status']})" for k in row["keys"]) or "no keys"
                state = "" if row["enabled"] else " [disabled]"
                print(f"{row['account_id']:>6}  {row['name']}{state}  keys: {keys}")
            if not rows:
                print("no accounts")
        return 0
    assert target is not None
    if action == "create":
        result, created = open_account(engine, target)
        if created is None:
            return _refused(result)
        if not durable():
            return 1
        return _show(created, as_json, "created account")
    if action == "revoke-key":
        result = engine.execute(SetKeyStatus(target, "revoked"))
        if not result.executed:
            return _refused(result)
        if not durable():
            return 1
        print(json.dumps({"key_id": target, "status": "revoked"}) if as_json else f"key {target} revoked")
        return 0
    account = accounts.find(target)
    if account is None:
        print(f"error: no account with id or name {target!r}", file=sys.stderr)
        return 1
    if action == "new-key":
        result, key = add_key(engine, account.account_id)
        if key is None:
            return _refused(result)
        if not durable():
            return 1
        return _show({"account_id": account.account_id, "name": account.name, "key_id": key.split("_")[1],
                      "api_key": key}, as_json, "new key for account")
    result = engine.execute(SetAccountStatus(account.account_id, action == "enable"))
    if not result.executed:
        return _refused(result)
    if not durable():
        return 1
    print(json.dumps({"account_id": account.account_id, "enabled": account.enabled}) if as_json
          else f"account {account.account_id} ({account.name}) {action}d")
    return 0


def _move(engine: MatchingEngine, action: str, target: str | None, asset: str | None, amount: str | None,
          as_json: bool, durable: Callable[[], bool]) -> int:
    """Deposit into or withdraw from an account's available balance."""
    from api.accounts import balances_dict
    from engine import codec
    from engine.commands import Deposit, Withdraw

    account = engine.accounts.find(target) if target else None
    if account is None:
        print(f"error: no account with id or name {target!r}", file=sys.stderr)
        return 1
    places = engine.accounts.decimals.get(asset or "")
    if places is None:
        print(f"error: ASSET must be one of {', '.join(sorted(engine.accounts.decimals))}", file=sys.stderr)
        return 2
    units = codec.parse_amount(amount, places)
    if units is None:
        print(f"error: AMOUNT must be a positive decimal with at most {places} decimals for {asset}", file=sys.stderr)
        return 2
    result = engine.execute((Deposit if action == "deposit" else Withdraw)(account.account_id, asset, units))
    if not result.executed:
        have = codec.amount_text(account.available.get(asset, 0), places)  # type: ignore[arg-type]
        print(f"error: cannot withdraw {amount} {asset}: the account has {have} available" if
              result.code.value == "INSUFFICIENT_BALANCE" else f"error: {result.code.value}", file=sys.stderr)
        return 1
    if not durable():
        return 1
    balances = balances_dict(account, engine)
    if as_json:
        print(json.dumps({"account_id": account.account_id, "name": account.name, "balances": balances}))
    else:
        line = balances[asset]  # type: ignore[index]
        print(f"account {account.account_id} ({account.name}) {asset}: available {line['available']}, "
              f"locked {line['locked']}")
    return 0


def _show(created: dict[str, Any], as_json: bool, what: str) -> int:
    if as_json:
        print(json.dumps({"account_id": created["account_id"], "name": created["name"],
                          "key_id": created["key_id"], "api_key": created["api_key"]}))
    else:
        print(f"{what} {created['account_id']} ({created['name']})")
        print(f"API key (shown only now; keep it): {created['api_key']}")
    return 0


def _refused(result: Result) -> int:
    from api.accounts import ACCOUNT_MESSAGES

    print(f"error: {ACCOUNT_MESSAGES.get(result.code.value, result.code.value)}", file=sys.stderr)
    return 1
