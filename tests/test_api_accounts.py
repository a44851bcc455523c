"""Accounts over REST, the admin surface, the offline command and restarts: no client sees or touches
another's orders."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api import create_app
from api.durability import close_store
from engine.matcher import create_crypto_engine
from engine.sequencing import IdSource
from tests.conftest import StepClock, demo_key
from tests.servers import ROOT, server_process

SYM = "BTC-USDT"
ADMIN = "admin-secret-for-tests"
PRIVATE = [("post", "/order"), ("post", "/cancel"), ("get", "/order/1"), ("get", "/order/client/x?symbol=BTC-USDT"),
           ("get", "/orders"), ("get", "/fills"), ("get", "/account")]
PUBLIC = ["/health", "/symbols", f"/book/{SYM}", f"/bbo/{SYM}", f"/trades/{SYM}", "/statistics", "/metrics",
          "/openapi.json", "/docs"]


def make_app(**extra: Any):  # type: ignore[no-untyped-def]
    cfg = {"ASYNC_MODE": "threading", "FEED_ENABLED": False, "LOG_LEVEL": "ERROR", **extra}
    return create_app(cfg, engine=create_crypto_engine(ids=IdSource(), clock=StepClock()))


def as_(app, key: str | None):  # type: ignore[no-untyped-def]
    client = app.test_client()
    if key is not None:
        client.environ_base["HTTP_X_API_KEY"] = key
    return client


def order(coid: str | None = None, side: str = "buy", price: str = "30000.00", qty: str = "0.1") -> dict:
    body = {"symbol": SYM, "side": side, "order_type": "limit", "quantity": qty, "price": price}
    if coid is not None:
        body["client_order_id"] = coid
    return body


@pytest.fixture
def two(app):  # type: ignore[no-untyped-def]
    """Clients of the two demo accounts."""
    return as_(app, demo_key(app, 0)), as_(app, demo_key(app, 1))


def test_private_endpoints_need_a_key_and_public_ones_do_not(app) -> None:  # type: ignore[no-untyped-def]
    anonymous, wrong = as_(app, None), as_(app, "me_0123456789ab_" + "x" * 43)
    for method, path in PRIVATE:
        kwargs = {"json": order()} if method == "post" else {}
        r = getattr(anonymous, method)(path, **kwargs)
        assert r.status_code == 401, (path, r.json)
        assert r.json["error_code"] == "UNAUTHENTICATED" and r.json["reason"] == "API_KEY_REQUIRED"
        assert "X-API-Key" in r.json["error"] and r.headers["WWW-Authenticate"].startswith("Bearer")
        r = getattr(wrong, method)(path, **kwargs)
        assert r.status_code == 401 and r.json["reason"] == "INVALID_API_KEY", (path, r.json)
        assert "x" * 10 not in r.get_data(as_text=True)  # no secret echoed back
    for path in PUBLIC:
        with anonymous.get(path) as r:
            assert r.status_code == 200, path
    bearer = app.test_client()
    r = bearer.post("/order", json=order(), headers={"Authorization": f"Bearer {demo_key(app)}"})
    assert r.status_code == 200 and r.json["status"] == "pending"


def test_an_account_cannot_cancel_query_or_list_anothers_orders(two) -> None:  # type: ignore[no-untyped-def]
    alice, bob = two
    mine = alice.post("/order", json=order("my-1")).json
    oid = mine["order_id"]
    unknown_id = oid + 10_000
    # by order id: exactly the answer for an id that does not exist, apart from the id itself
    foreign = bob.post("/cancel", json={"symbol": SYM, "order_id": oid})
    missing = bob.post("/cancel", json={"symbol": SYM, "order_id": unknown_id})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data(as_text=True).replace(str(oid), "N") == missing.get_data(as_text=True).replace(str(unknown_id), "N")
    foreign = bob.get(f"/order/{oid}")
    missing = bob.get(f"/order/{unknown_id}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data(as_text=True).replace(str(oid), "N") == missing.get_data(as_text=True).replace(str(unknown_id), "N")
    # by client order id
    assert bob.post("/cancel", json={"symbol": SYM, "client_order_id": "my-1"}).status_code == 404
    assert bob.get(f"/order/client/my-1?symbol={SYM}").status_code == 404
    # listing
    assert bob.get("/orders").json["orders"] == []
    assert bob.get("/orders?status=all").json["orders"] == []
    assert [o["order_id"] for o in alice.get("/orders").json["orders"]] == [oid]
    # the same client order id in another account is another order
    theirs = bob.post("/order", json=order("my-1", price="29000.00"))
    assert theirs.status_code == 200, theirs.json
    assert alice.get(f"/order/client/my-1?symbol={SYM}").json["order_id"] == oid
    assert bob.get(f"/order/client/my-1?symbol={SYM}").json["order_id"] == theirs.json["order_id"]
    # the owner still has it, untouched, and can cancel it
    assert alice.get(f"/order/{oid}").json["status"] == "pending"
    assert alice.post("/cancel", json={"symbol": SYM, "client_order_id": "my-1"}).json["success"] is True
    assert [o["status"] for o in alice.get("/orders?status=all").json["orders"]] == ["cancelled"]
    assert alice.get("/orders").json["orders"] == []


def test_fills_show_each_side_of_a_trade_to_its_own_account(two) -> None:  # type: ignore[no-untyped-def]
    alice, bob = two
    maker = alice.post("/order", json=order(side="sell", qty="0.3")).json
    taker = bob.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "market", "quantity": "0.1"}).json
    assert taker["status"] == "filled"
    (a_fill,) = alice.get(f"/fills?symbol={SYM}").json["fills"]
    (b_fill,) = bob.get("/fills").json["fills"]
    assert a_fill["trade_id"] == b_fill["trade_id"]
    assert (a_fill["liquidity"], a_fill["side"], a_fill["order_id"]) == ("maker", "sell", maker["order_id"])
    assert (b_fill["liquidity"], b_fill["side"], b_fill["order_id"]) == ("taker", "buy", taker["order_id"])
    assert a_fill["price"] == "30000.00" and a_fill["quantity"] == "0.10000000"
    assert a_fill["fee"] == a_fill["maker_fee"] and b_fill["fee"] == b_fill["taker_fee"] == "3.00"
    assert alice.get("/fills?symbol=ETH-USDT").json["fills"] == []


def test_a_market_buy_for_a_quote_amount_over_rest(two) -> None:  # type: ignore[no-untyped-def]
    alice, bob = two
    alice.post("/order", json=order(side="sell", qty="1"))
    r = bob.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "market", "quote_quantity": "3003"})
    assert r.status_code == 200 and r.json["status"] == "filled", r.json
    assert r.json["filled_quantity"] == "0.10000000"  # 3003 = 0.1 x 30000 plus the 0.1% fee, exactly
    for body, reason in (({"quantity": "0.1", "quote_quantity": "10"}, "INVALID_QUOTE_QUANTITY"),
                         ({"side": "sell", "quote_quantity": "10"}, "INVALID_QUOTE_QUANTITY"),
                         ({"quote_quantity": "-1"}, "INVALID_AMOUNT"),
                         ({"quote_quantity": "0.00000000000001"}, "INVALID_AMOUNT")):
        bad = bob.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "market", **body})
        assert bad.status_code == 400 and bad.json["reason"] == reason, (body, bad.json)


def test_admin_surface_is_absent_without_an_admin_key_and_guarded_with_one() -> None:
    app = make_app()
    try:
        r = app.test_client().post("/admin/accounts", json={"name": "x"}, headers={"X-Admin-Key": "anything"})
        assert r.status_code == 404
    finally:
        app.extensions["me_feed"].stop()
    app = make_app(ADMIN_KEY=ADMIN)
    try:
        client = app.test_client()
        for headers, reason in (({}, "ADMIN_KEY_REQUIRED"), ({"X-Admin-Key": "wrong"}, "INVALID_ADMIN_KEY")):
            r = client.post("/admin/accounts", json={"name": "x"}, headers=headers)
            assert r.status_code == 401 and r.json["error_code"] == "UNAUTHENTICATED" and r.json["reason"] == reason
            assert client.get("/admin/accounts", headers=headers).status_code == 401
        admin = {"X-Admin-Key": ADMIN}
        created = client.post("/admin/accounts", json={"name": "carol"}, headers=admin)
        assert created.status_code == 201
        body = created.json
        assert set(body) == {"account_id", "name", "key_id", "api_key"} and body["api_key"].startswith("me_")
        assert len(body["api_key"].split("_", 2)[2]) >= 22  # at least 128 bits of secret
        digits = client.post("/admin/accounts", json={"name": "2"}, headers=admin)  # would shadow account 2
        assert digits.status_code == 400 and digits.json["reason"] == "INVALID_ACCOUNT_NAME"
        dup = client.post("/admin/accounts", json={"name": "carol"}, headers=admin)
        assert dup.status_code == 409 and dup.json["error_code"] == "ALREADY_EXISTS"
        listing = client.get("/admin/accounts", headers=admin).get_data(as_text=True)
        assert "carol" in listing and body["api_key"] not in listing and body["api_key"][-20:] not in listing
        carol = as_(app, body["api_key"])
        assert carol.get("/account").json["name"] == "carol"
        assert carol.get("/account").json["balances"] == {}  # a new account holds nothing
        short = carol.post("/order", json=order())
        assert short.status_code == 400 and short.json["error_code"] == "INSUFFICIENT_BALANCE"
        assert "needs 3003.00 USDT available" in short.json["error"] and "has 0.00" in short.json["error"]
        funded = client.post("/admin/accounts/carol/deposit", json={"asset": "USDT", "amount": "5000"}, headers=admin)
        assert funded.status_code == 200 and funded.json["balances"]["USDT"] == {"available": "5000.00", "locked": "0.00"}
        # keys: a second one, disable, enable, revoke (final)
        second = client.post("/admin/accounts/carol/keys", headers=admin).json
        assert as_(app, second["api_key"]).get("/account").status_code == 200
        assert client.post(f"/admin/keys/{body['key_id']}/disable", headers=admin).status_code == 200
        assert carol.get("/account").status_code == 401
        assert as_(app, second["api_key"]).get("/account").status_code == 200
        assert client.post(f"/admin/keys/{body['key_id']}/enable", headers=admin).status_code == 200
        assert carol.post("/order", json=order()).status_code == 200
        assert client.post(f"/admin/keys/{body['key_id']}/revoke", headers=admin).status_code == 200
        assert carol.get("/account").status_code == 401
        again = client.post(f"/admin/keys/{body['key_id']}/enable", headers=admin)
        assert again.status_code == 400 and again.json["reason"] == "KEY_REVOKED"
        assert carol.get("/account").status_code == 401
        # a disabled account: every key refused, orders too
        assert client.post(f"/admin/accounts/{body['account_id']}/disable", headers=admin).status_code == 200
        assert as_(app, second["api_key"]).post("/order", json=order()).status_code == 401
        assert client.post("/admin/accounts/nobody/disable", headers=admin).status_code == 404
        assert client.post("/admin/keys/0123456789ab/revoke", headers=admin).status_code == 404
    finally:
        app.extensions["me_feed"].stop()


def test_repeated_bad_keys_from_one_address_get_429(app) -> None:  # type: ignore[no-untyped-def]
    bad = as_(app, "me_0123456789ab_" + "y" * 43)
    codes = [bad.get("/account").status_code for _ in range(20)]
    assert codes == [401] * 20
    locked = bad.post("/order", json=order())
    assert locked.status_code == 429 and locked.json["reason"] == "TOO_MANY_BAD_KEYS"
    assert int(locked.headers["Retry-After"]) >= 1
    assert bad.get("/account").status_code == 429
    # only failing attempts are refused: a valid key from the same address still works
    assert as_(app, demo_key(app)).get("/account").status_code == 200
    assert as_(app, demo_key(app)).post("/order", json=order()).status_code == 200
    other = as_(app, "me_0123456789ab_" + "y" * 43)
    other.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    assert other.get("/account").status_code == 401  # another address has its own count
    # a public endpoint answers a bad key exactly like no key: it tells nothing about keys
    assert bad.get(f"/book/{SYM}").status_code == as_(app, None).get(f"/book/{SYM}").status_code == 200


def test_order_entry_without_a_key_counts_against_the_address() -> None:
    app = make_app(RATE_LIMIT="5 per minute")
    try:
        anonymous = as_(app, None)
        assert [anonymous.post("/order", json=order()).status_code for _ in range(5)] == [401] * 5
        r = anonymous.post("/order", json=order())
        assert r.status_code == 429 and "Retry-After" in r.headers
        assert as_(app, demo_key(app)).post("/order", json=order()).status_code == 200  # the account's own budget
    finally:
        app.extensions["me_feed"].stop()


def test_rate_limits_count_per_account() -> None:
    app = make_app(RATE_LIMIT="5 per minute")
    try:
        alice, bob = as_(app, demo_key(app, 0)), as_(app, demo_key(app, 1))
        assert [alice.get("/account").status_code for _ in range(5)] == [200] * 5
        assert alice.get("/account").status_code == 429
        assert alice.post("/order", json=order()).status_code == 200  # order entry has its own budget
        assert bob.get("/account").status_code == 200  # same address, another account
    finally:
        app.extensions["me_feed"].stop()


def test_demo_keys_go_only_to_local_clients_of_a_loopback_server(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    keys = client.get("/demo/keys").json["accounts"]
    assert [k["name"] for k in keys] == ["demo-1", "demo-2"]
    # a proxy in front, or a page on another host name (DNS rebinding), gets nothing
    assert client.get("/demo/keys", headers={"X-Forwarded-For": "192.0.2.10"}).status_code == 404
    assert client.get("/demo/keys", headers={"Host": "rebind.example:5000"}).status_code == 404
    assert client.get("/demo/keys", headers={"Host": "localhost:5000"}).status_code == 200
    client.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    assert client.get("/demo/keys").status_code == 404
    public = make_app(HOST="0.0.0.0")
    try:
        assert public.test_client().get("/demo/keys").status_code == 404
        assert len(public.extensions["matching_engine"].accounts) == 0  # no demo account exists at all
    finally:
        public.extensions["me_feed"].stop()


def test_accounts_keys_and_orders_survive_restart_and_snapshot(tmp_path: Path) -> None:
    cfg = {"DATA_DIR": str(tmp_path), "FSYNC": "always", "SNAPSHOT_INTERVAL_S": 0, "ADMIN_KEY": ADMIN}
    admin = {"X-Admin-Key": ADMIN}
    app = make_app(**cfg)
    client = app.test_client()
    kept = client.post("/admin/accounts", json={"name": "kept"}, headers=admin).json
    client.post("/admin/accounts/kept/deposit", json={"asset": "USDT", "amount": "5000.25"}, headers=admin)
    gone = client.post("/admin/accounts/kept/keys", headers=admin).json
    assert client.post(f"/admin/keys/{gone['key_id']}/revoke", headers=admin).status_code == 200
    placed = as_(app, kept["api_key"]).post("/order", json=order("k-1")).json
    rejected = as_(app, kept["api_key"]).post("/order", json={**order(price="29000.00"), "order_type": "fok",
                                                               "quantity": "0.05"}).json  # no asks: rejected
    before = client.get("/admin/accounts", headers=admin).json
    demo = demo_key(app)
    app.extensions["me_feed"].stop()
    close_store(app, snapshot=False)  # replayed from the journal
    for snapshot in (False, True):
        app = make_app(**cfg)
        try:
            client = app.test_client()
            assert client.get("/admin/accounts", headers=admin).json == before
            assert as_(app, gone["api_key"]).get("/account").status_code == 401  # still revoked
            me = as_(app, kept["api_key"])
            assert me.get("/order/client/k-1?symbol=BTC-USDT").json["order_id"] == placed["order_id"]
            # the history in the database keeps a rejected order as it was sent
            listed = {o["order_id"]: o for o in me.get("/orders?status=all").json["orders"]}
            assert rejected["status"] == "rejected" and listed[rejected["order_id"]]["price"] == "29000.00"
            assert listed[rejected["order_id"]]["quantity"] == "0.05000000"
            # 0.1 x 30000 plus the 0.1% fee stays locked for the open buy, exactly
            assert me.get("/account").json["balances"]["USDT"] == {"available": "1997.25", "locked": "3003.00"}
            assert as_(app, demo).get(f"/order/{placed['order_id']}").status_code == 404
            assert demo_key(app) == demo  # the dashboard's demo keys are the same after a restart
            assert (tmp_path / "demo-keys.json").stat().st_mode & 0o777 == 0o600  # the owner's only
        finally:
            app.extensions["me_feed"].stop()
            close_store(app, snapshot=not snapshot)  # the second start reads a snapshot


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api", "accounts", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_offline_account_command_and_a_running_server(tmp_path: Path) -> None:
    data = str(tmp_path)
    made = run_tool("create", "alice", "--json", "--data-dir", data)
    assert made.returncode == 0, made.stderr
    alice = json.loads(made.stdout)
    assert set(alice) >= {"account_id", "name", "api_key"} and alice["name"] == "alice"
    assert run_tool("deposit", "alice", "USDT", "10000", "--data-dir", data).returncode == 0
    short = run_tool("withdraw", "alice", "USDT", "10000.01", "--data-dir", data)
    assert short.returncode == 1 and "10000.00 available" in short.stderr
    listed = run_tool("list", "--data-dir", data)
    assert "alice" in listed.stdout and alice["api_key"] not in listed.stdout and alice["api_key"][-16:] not in listed.stdout
    with server_process("--data-dir", data, "--no-demo") as (url, _):
        import requests

        headers = {"X-API-Key": alice["api_key"]}
        assert requests.get(f"{url}/account", headers=headers, timeout=5).json()["name"] == "alice"
        assert requests.post(f"{url}/order", json=order(), headers=headers, timeout=5).status_code == 200
        busy = run_tool("create", "bob", "--data-dir", data)
        assert busy.returncode == 1 and "in use by another process" in busy.stderr
        assert requests.get(f"{url}/demo/keys", timeout=5).status_code == 404  # --no-demo
    second = run_tool("new-key", "alice", "--json", "--data-dir", data)
    assert second.returncode == 0, second.stderr
    new_key = json.loads(second.stdout)["api_key"]
    revoked = run_tool("revoke-key", alice["api_key"].split("_")[1], "--data-dir", data)
    assert revoked.returncode == 0, revoked.stderr
    assert run_tool("create", "alice", "--data-dir", data).returncode == 1  # the name is taken
    with server_process("--data-dir", data, "--no-demo") as (url, _):
        import requests

        assert requests.get(f"{url}/account", headers={"X-API-Key": alice["api_key"]}, timeout=5).status_code == 401
        mine = requests.get(f"{url}/orders", headers={"X-API-Key": new_key}, timeout=5).json()["orders"]
        assert len(mine) == 1 and mine[0]["status"] == "pending"
    verify = subprocess.run([sys.executable, "-m", "api", "journal", "verify", "--data-dir", data], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and "1 account; every balance, lock and fee adds up" in verify.stdout, verify.stdout
    assert run_tool("disable", "alice", "--data-dir", data).returncode == 0
    with server_process("--data-dir", data, "--no-demo") as (url, _):
        import requests

        assert requests.get(f"{url}/account", headers={"X-API-Key": new_key}, timeout=5).status_code == 401


def test_private_order_feed_and_revocation_disconnects() -> None:
    from api.extensions import socketio_of

    ns = "/market"
    app = make_app(ADMIN_KEY=ADMIN)
    try:
        web = app.test_client()
        created = web.post("/admin/accounts", json={"name": "dora"}, headers={"X-Admin-Key": ADMIN}).json
        web.post("/admin/accounts/dora/deposit", json={"asset": "USDT", "amount": "5000"}, headers={"X-Admin-Key": ADMIN})
        sio = socketio_of(app)
        refused = sio.test_client(app, namespace=ns, auth={"api_key": "me_0123456789ab_" + "z" * 43})
        assert not refused.is_connected(ns)
        dora = sio.test_client(app, namespace=ns, auth={"api_key": created["api_key"]})
        other = sio.test_client(app, namespace=ns, auth={"api_key": demo_key(app)})
        for c in (dora, other):
            assert c.is_connected(ns)
            c.emit("subscribe", {"type": "orders"}, namespace=ns)  # every symbol
            c.get_received(ns)
        placed = as_(app, created["api_key"]).post("/order", json=order("d-1")).json
        as_(app, demo_key(app)).post("/order", json=order(price="29000.00"))
        app.extensions["me_feed"].publish_pending()
        got, got_other = dora.get_received(ns), other.get_received(ns)
        mine = [e["args"][0] for e in got if e["name"] == "order_event"]
        theirs = [e["args"][0] for e in got_other if e["name"] == "order_event"]
        # the private account event: dora's balances, once, with the order's lock; never the other's
        (balances,) = [e["args"][0] for e in got if e["name"] == "account"]
        assert balances["name"] == "dora" and balances["balances"]["USDT"] == {"available": "1997.00", "locked": "3003.00"}
        assert all(e["args"][0]["account_id"] != balances["account_id"] for e in got_other if e["name"] == "account")
        web.post("/admin/accounts/dora/deposit", json={"asset": "BTC", "amount": "0.5"}, headers={"X-Admin-Key": ADMIN})
        app.extensions["me_feed"].publish_pending()
        (after,) = [e["args"][0] for e in dora.get_received(ns) if e["name"] == "account"]
        assert after["balances"]["BTC"] == {"available": "0.50", "locked": "0.00"}
        assert [e["order_id"] for e in mine] == [placed["order_id"]]
        assert placed["order_id"] not in [e["order_id"] for e in theirs] and len(theirs) == 1
        # revoking dora's key drops her connection at once; the other client stays
        assert web.post(f"/admin/keys/{created['key_id']}/revoke", headers={"X-Admin-Key": ADMIN}).status_code == 200
        assert not dora.is_connected(ns) and other.is_connected(ns)
        again = sio.test_client(app, namespace=ns, auth={"api_key": created["api_key"]})
        assert not again.is_connected(ns)
        # disabling an account drops every client signed in as it
        assert web.post("/admin/accounts/demo-1/disable", headers={"X-Admin-Key": ADMIN}).status_code == 200
        assert not other.is_connected(ns)
    finally:
        app.extensions["me_feed"].stop()


def test_the_offline_command_reports_nothing_done_when_the_journal_write_fails(tmp_path: Path, monkeypatch,
                                                                               capsys) -> None:  # type: ignore[no-untyped-def]
    from api.account_tool import run_accounts_command
    from api.storage.store import Store

    assert run_accounts_command("create", "alice", str(tmp_path), True) == 0
    capsys.readouterr()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Store, "_write_locked", broken)
    assert run_accounts_command("create", "bob", str(tmp_path), True) == 1
    assert run_accounts_command("disable", "alice", str(tmp_path), True) == 1
    out = capsys.readouterr()
    assert "me_" not in out.out and "could not be written" in out.err
    monkeypatch.undo()
    assert run_accounts_command("list", None, str(tmp_path), True) == 0
    (only,) = json.loads(capsys.readouterr().out)["accounts"]
    assert only["name"] == "alice" and only["enabled"] is True
