"""Accounts in the engine: keys, ownership, per-account client order ids, snapshots and replay."""
from __future__ import annotations

import secrets

import pytest

from api.storage.records import decode, encode
from engine.accounts import KEY_PREFIX, digest
from engine.commands import AddKey, Cancel, CreateAccount, Deposit, SetAccountStatus, SetKeyStatus, Submit
from engine.errors import ResultCode
from engine.matcher import MatchingEngine, create_crypto_engine
from engine.order import BUY, LIMIT, SELL
from engine.sequencing import IdSource
from tests.conftest import StepClock

SYM = "BTC-USDT"


class Recorder:
    failed = False

    def __init__(self) -> None:
        self.commands: list = []

    def record(self, command, events) -> None:  # type: ignore[no-untyped-def]
        self.commands.append(command)


def new_engine(journal: Recorder | None = None) -> MatchingEngine:
    return create_crypto_engine(ids=IdSource(), clock=StepClock(), journal=journal)


def open_account(engine: MatchingEngine, name: str, funded: bool = True) -> tuple[int, str]:
    """Create an account with one key (and a billion of every asset); return its id and the key."""
    result = engine.execute(CreateAccount(name))
    assert result.code is ResultCode.OK
    account_id = result.command.account_id
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    assert engine.execute(AddKey(account_id, key_id, digest(secret))).code is ResultCode.OK
    if funded:
        for asset, places in engine.accounts.decimals.items():
            assert engine.execute(Deposit(account_id, asset, 10 ** (places + 9))).code is ResultCode.OK
    return account_id, f"{KEY_PREFIX}{key_id}_{secret}"


def limit(account: int | None, side=BUY, price=3_000_000, lots=100_000, coid=None) -> Submit:  # type: ignore[no-untyped-def]
    return Submit(SYM, side, LIMIT, price, lots, coid, account=account)


def test_another_accounts_order_answers_like_an_unknown_one() -> None:
    engine = new_engine()
    a, _ = open_account(engine, "alice")
    b, _ = open_account(engine, "bob")
    order = engine.execute(limit(a)).order
    unknown = engine.execute(Cancel(SYM, 10**9, account=b))
    foreign = engine.execute(Cancel(SYM, order.order_id, account=b))
    assert unknown.code is foreign.code is ResultCode.UNKNOWN_ORDER
    assert foreign.order is None and foreign.status is None  # nothing about the order leaks
    assert engine.get_order_status(SYM, order.order_id, account=b)["error_code"] == "ORDER_NOT_FOUND"
    assert engine.get_order_status(SYM, order.order_id, account=a)["status"] == "pending"
    # over the string wrapper the bodies differ only in the id the caller sent
    mine = engine.cancel_order(SYM, order.order_id, account=b)
    none = engine.cancel_order(SYM, 10**9, account=b)
    assert {**mine, "order_id": None, "error": None} == {**none, "order_id": None, "error": None}
    assert mine["error"].replace(str(order.order_id), "N") == none["error"].replace(str(10**9), "N")
    # the owner can cancel it; the book still holds it until then
    assert len(engine.get_order_book(SYM)) == 1
    assert engine.execute(Cancel(SYM, order.order_id, account=a)).code is ResultCode.OK
    # a finished order of A is unknown to B too
    assert engine.execute(Cancel(SYM, order.order_id, account=b)).code is ResultCode.UNKNOWN_ORDER
    assert engine.execute(Cancel(SYM, order.order_id, account=a)).code is ResultCode.ORDER_NOT_LIVE
    engine.check_invariants()


def test_client_order_ids_are_unique_per_account() -> None:
    engine = new_engine()
    a, _ = open_account(engine, "alice")
    b, _ = open_account(engine, "bob")
    first = engine.execute(limit(a, coid="my-1"))
    second = engine.execute(limit(b, price=2_900_000, coid="my-1"))
    assert first.code is second.code is ResultCode.OK
    assert engine.execute(limit(a, coid="my-1")).code is ResultCode.CLIENT_ORDER_ID_IN_USE
    # by client id each account finds its own order only
    assert engine.get_order_by_client_id(SYM, "my-1", account=b)["order_id"] == second.order.order_id
    cancelled = engine.execute(Cancel(SYM, None, "my-1", account=b))
    assert cancelled.code is ResultCode.OK and cancelled.order is second.order
    assert engine.execute(Cancel(SYM, None, "my-1", account=b)).code is ResultCode.ORDER_NOT_LIVE
    assert first.order.is_live
    engine.check_invariants()


def test_trades_and_events_carry_both_accounts() -> None:
    engine = new_engine()
    a, _ = open_account(engine, "alice")
    b, _ = open_account(engine, "bob")
    maker = engine.execute(limit(a, side=SELL)).order
    taker = engine.execute(limit(b, side=BUY, lots=40_000))
    (trade,) = taker.trades
    assert (trade.maker_account, trade.taker_account) == (a, b)
    owners = {e.order_id: e.account for e in taker.events if hasattr(e, "account")}
    assert owners == {taker.order.order_id: b, maker.order_id: a}
    assert set(engine.accounts.by_id[a].live) == {maker.order_id} and not engine.accounts.by_id[b].live
    engine.check_invariants()


def test_keys_authenticate_only_while_active_and_the_account_enabled() -> None:
    engine = new_engine()
    a, key = open_account(engine, "alice")
    assert engine.authenticate(key)[0].account_id == a
    key_id = key.split("_")[1]
    assert engine.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) == (None, key_id)
    assert engine.authenticate("me_000000000000_" + "x" * 43) == (None, "000000000000")
    for bad in (None, "", "x", key + "\n", 42, "me_" + "z" * 12 + "_" + "x" * 43):
        assert engine.authenticate(bad)[0] is None
    assert engine.execute(SetKeyStatus(key_id, "disabled")).code is ResultCode.OK
    assert engine.authenticate(key)[0] is None
    assert engine.execute(SetKeyStatus(key_id, "active")).code is ResultCode.OK
    assert engine.authenticate(key)[0] is not None
    assert engine.execute(SetAccountStatus(a, False)).code is ResultCode.OK
    assert engine.authenticate(key)[0] is None
    assert engine.execute(limit(a)).code is ResultCode.ACCOUNT_DISABLED
    assert engine.execute(SetAccountStatus(a, True)).code is ResultCode.OK
    assert engine.execute(SetKeyStatus(key_id, "revoked")).code is ResultCode.OK
    assert engine.authenticate(key)[0] is None
    assert engine.execute(SetKeyStatus(key_id, "active")).code is ResultCode.KEY_REVOKED  # revoked is final
    assert engine.authenticate(key)[0] is None


@pytest.mark.parametrize("command, code", [
    (CreateAccount(""), ResultCode.INVALID_ACCOUNT_NAME),
    (CreateAccount(" padded"), ResultCode.INVALID_ACCOUNT_NAME),
    (CreateAccount("x" * 65), ResultCode.INVALID_ACCOUNT_NAME),
    (CreateAccount("alice"), ResultCode.ACCOUNT_NAME_IN_USE),
    (CreateAccount("carol", account_id=1), ResultCode.ACCOUNT_ID_IN_USE),
    (AddKey(99, "0" * 12, "0" * 64), ResultCode.UNKNOWN_ACCOUNT),
    (AddKey(1, "short", "0" * 64), ResultCode.INVALID_KEY_ID),
    (AddKey(1, "0" * 12, "0" * 63), ResultCode.INVALID_KEY_DIGEST),
    (SetKeyStatus("nope", "disabled"), ResultCode.UNKNOWN_KEY),
    (SetAccountStatus(99, False), ResultCode.UNKNOWN_ACCOUNT),
    (Submit(SYM, BUY, LIMIT, 3_000_000, 100_000, account=99), ResultCode.UNKNOWN_ACCOUNT),
    (Submit(SYM, BUY, LIMIT, 3_000_000, 100_000, account="1"), ResultCode.INVALID_ACCOUNT_ID),  # type: ignore[arg-type]
])
def test_refused_account_commands_change_nothing(command, code) -> None:  # type: ignore[no-untyped-def]
    journal = Recorder()
    engine = new_engine(journal)
    open_account(engine, "alice")
    before, recorded = engine.snapshot(), len(journal.commands)
    assert engine.execute(command).code is code
    assert engine.snapshot() == before and len(journal.commands) == recorded


def scripted(engine: MatchingEngine) -> None:
    a, _ = open_account(engine, "alice")
    b, key_b = open_account(engine, "bob")
    engine.execute(AddKey(b, "abcdef012345", digest("another secret of enough length")))
    engine.execute(SetKeyStatus(key_b.split("_")[1], "revoked"))
    engine.execute(limit(a, side=SELL, coid="same"))
    engine.execute(limit(b, side=SELL, price=3_100_000, coid="same"))
    engine.execute(limit(b, side=BUY, lots=50_000, coid="taker"))
    engine.execute(limit(None, side=BUY, price=2_000_000))
    engine.execute(Cancel(SYM, None, "same", account=b))
    engine.execute(SetAccountStatus(a, False))


def test_replaying_the_journal_rebuilds_accounts_and_orders_exactly() -> None:
    journal = Recorder()
    live = new_engine(journal)
    scripted(live)
    symbols = live.symbols
    index = {s: i for i, s in enumerate(symbols)}
    replay = create_crypto_engine(ids=IdSource(), clock=lambda: 1 / 0)  # every time comes from the records
    for command in journal.commands:
        recorded = decode(encode(command, index), symbols)
        assert recorded == command
        assert replay.execute(recorded).code is ResultCode.OK
    assert replay.snapshot() == live.snapshot()
    replay.check_invariants()
    assert replay.accounts.by_name["bob"].key_ids == live.accounts.by_name["bob"].key_ids


def test_a_snapshot_restores_accounts_keys_and_owners() -> None:
    live = new_engine()
    scripted(live)
    state = live.snapshot()
    restored = new_engine()
    restored.restore(state)
    assert restored.snapshot() == state
    restored.check_invariants()
    revoked = [k for k in restored.accounts.keys.values() if k.status == "revoked"]
    assert len(revoked) == 1 and not restored.accounts.by_name["alice"].enabled
    bob = restored.accounts.by_name["bob"].account_id
    # per-account client ids survive: bob may reuse "same" (cancelled), alice's is still live
    assert restored.execute(limit(bob, price=2_500_000, coid="same")).code is ResultCode.OK
    restored.check_invariants()


def test_an_engine_without_accounts_works_as_before() -> None:
    engine = new_engine()
    engine.execute(Submit(SYM, SELL, LIMIT, 3_000_000, 100_000, "x"))
    assert engine.execute(Submit(SYM, SELL, LIMIT, 3_000_000, 100_000, "x")).code is ResultCode.CLIENT_ORDER_ID_IN_USE
    result = engine.execute(Cancel(SYM, None, "x"))
    assert result.code is ResultCode.OK and result.order.account is None
    assert engine.snapshot()["accounts"]["accounts"] == []
