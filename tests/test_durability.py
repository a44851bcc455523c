"""Journal, snapshots and recovery through the app, with bad data on disk."""
from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api import create_app
from api.durability import close_store, take_snapshot
from api.storage import StoreError
from api.storage.records import checksum
from api.storage.store import Store
from engine.matcher import create_crypto_engine
from tests.conftest import demo_key
from tests.servers import ROOT, free_port, wait_healthy

SYM = "BTC-USDT"
DEMO_RECORDS = 2 * (2 + 5)  # per demo account: CreateAccount, AddKey, a Deposit of each of the 5 crypto assets


def make_app(data_dir: Path, **extra: Any):  # type: ignore[no-untyped-def]
    engine = extra.pop("engine", None)
    cfg = {"ASYNC_MODE": "threading", "FEED_ENABLED": False, "LOG_LEVEL": "ERROR", "DATA_DIR": str(data_dir),
           "FSYNC": "always", "SNAPSHOT_INTERVAL_S": 0, **extra}
    return create_app(cfg, engine=engine)


def signed_in(app, index: int = 0):  # type: ignore[no-untyped-def]
    """A test client of ``app`` sending a demo account's key (kept in the data directory across restarts)."""
    client = app.test_client()
    client.environ_base["HTTP_X_API_KEY"] = demo_key(app, index)
    return client


def stop(app, snapshot: bool = False) -> None:  # type: ignore[no-untyped-def]
    app.extensions["me_feed"].stop()
    close_store(app, snapshot=snapshot)


def pair(app):  # type: ignore[no-untyped-def]
    """Test clients of ``app`` for demo-1 (who sells) and demo-2 (who buys): every trade is between the two."""
    return signed_in(app, 0), signed_in(app, 1)


def owner(clients, order: dict):  # type: ignore[no-untyped-def]
    """The client of ``pair`` that placed ``order``: sells are demo-1's, buys demo-2's."""
    return clients[0] if order["side"] == "sell" else clients[1]


def trade_some(clients, n: int = 30) -> list[dict]:  # type: ignore[no-untyped-def]
    """``n`` orders from a ``pair`` of clients (sells from the first, buys from the second), then the first 3
    still live are cancelled."""
    out = []
    for i in range(n):
        side = "sell" if i % 3 else "buy"
        body = {"symbol": SYM if i % 4 else "ETH-USDT", "side": side, "order_type": "limit",
                "quantity": f"0.{i % 9 + 1}", "price": str(30000 + (i % 5) if i % 4 else 3000 + (i % 5)),
                "client_order_id": f"c{i}"}
        if i % 7 == 0:
            body = {"symbol": SYM, "side": "buy", "order_type": "market", "quantity": "0.3"}
        r = owner(clients, body).post("/order", json=body)
        assert r.status_code == 200, r.json
        out.append(r.json)
    live = [o for o in out
            if owner(clients, o).get(f"/order/{o['order_id']}").json["status"] in ("pending", "partially_filled")]
    for o in live[:3]:
        cancel = {"symbol": o["symbol"], "order_id": o["order_id"]}
        assert owner(clients, o).post("/cancel", json=cancel).status_code == 200
    return out


def observable(client) -> dict:  # type: ignore[no-untyped-def]
    """Everything a client can see, for before/after comparisons."""
    out: dict[str, Any] = {}
    for s in ("BTC-USDT", "ETH-USDT"):
        book = client.get(f"/book/{s}?levels=100").json
        out[s] = (book["bids"], book["asks"], book["sequence"], client.get(f"/trades/{s}?limit=1000").json["trades"])
    stats = client.get("/statistics").json
    out["stats"] = {k: v for k, v in stats.items()}
    return out


def orders_of(clients, results: list[dict]) -> list[dict]:  # type: ignore[no-untyped-def]
    """Each order of ``results`` as its owner sees it (``clients``: a ``pair``)."""
    return [owner(clients, r).get(f"/order/{r['order_id']}").json for r in results]


def test_restart_restores_everything(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    assert app.extensions["me_store"].next_lsn == DEMO_RECORDS + 1  # the demo accounts, nothing else yet
    clients = pair(app)
    c = clients[0]
    results = trade_some(clients)
    before, statuses = observable(c), orders_of(clients, results)
    assert before[SYM][3] and before["ETH-USDT"][3], "no trades to restore"
    balances = [client.get("/account").json["balances"] for client in clients]
    stop(app)  # no snapshot: everything comes back from the journal alone
    app2 = make_app(tmp_path)
    assert app2.extensions["me_demo_keys"] == app.extensions["me_demo_keys"]  # the same accounts and keys
    clients2 = pair(app2)
    c2 = clients2[0]
    assert app2.extensions["me_recovery"].replayed == DEMO_RECORDS + len(results) + 3
    assert observable(c2) == before and orders_of(clients2, results) == statuses
    assert [client.get("/account").json["balances"] for client in clients2] == balances
    # the engine goes on with fresh ids, and client ids of cancelled orders are free again
    r = c2.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.1", "price": "29000"})
    assert r.json["order_id"] == max(x["order_id"] for x in results) + 1
    stop(app2, snapshot=True)
    app3 = make_app(tmp_path)
    rec = app3.extensions["me_recovery"]
    assert rec.replayed == 0 and rec.snapshot_lsn == DEMO_RECORDS + len(results) + 4
    assert observable(signed_in(app3))[SYM][:3] == observable(c2)[SYM][:3]
    stop(app3)


def journal_positions(data_dir: Path) -> list[int]:
    """Every record position the journal holds."""
    conn = sqlite3.connect(data_dir / "engine.db")
    rows = conn.execute("SELECT lsn, count FROM journal ORDER BY lsn").fetchall()
    conn.close()
    return [lsn + i for lsn, count in rows for i in range(count)]


@pytest.mark.parametrize("fork", [True, False], ids=["forked-child", "inline"])
def test_snapshot_then_more_commands(tmp_path: Path, fork: bool) -> None:
    app = make_app(tmp_path)
    clients = pair(app)
    c = clients[0]
    engine, store = app.extensions["matching_engine"], app.extensions["me_store"]
    trade_some(clients, 20)
    first = take_snapshot(engine, store, fork=fork)
    trade_some(clients, 15)
    second = take_snapshot(engine, store, fork=fork)
    assert 0 < first < second
    # compaction keeps the two newest snapshots and the journal after the older one
    assert journal_positions(tmp_path) == list(range(first + 1, store.next_lsn))
    trade_some(clients, 5)
    before = observable(c)
    balances = [client.get("/account").json["balances"] for client in clients]
    stop(app)
    assert not list((tmp_path / "snapshots").glob("*.tmp"))
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == [f"{first:012d}.snap", f"{second:012d}.snap"]
    app2 = make_app(tmp_path)
    recovery = app2.extensions["me_recovery"]
    assert recovery.snapshot_lsn == second and recovery.replayed == recovery.last_lsn - second > 0
    assert observable(signed_in(app2)) == before
    assert [client.get("/account").json["balances"] for client in pair(app2)] == balances
    stop(app2)


def test_history_beyond_memory_comes_from_the_database(tmp_path: Path) -> None:
    small = dict(engine=create_crypto_engine(history_limit=3, recent_trades_limit=5))
    app = make_app(tmp_path, **small)
    c, buyer = pair(app)  # demo-1 sells, demo-2 buys from it
    first = c.post("/order", json={"symbol": SYM, "side": "sell", "order_type": "limit", "quantity": "0.1", "price": "30000"}).json
    for _ in range(12):
        c.post("/order", json={"symbol": SYM, "side": "sell", "order_type": "limit", "quantity": "0.1", "price": "30000"})
        buyer.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "market", "quantity": "0.1"})
    stop(app)
    app2 = make_app(tmp_path, engine=create_crypto_engine(history_limit=3, recent_trades_limit=5))
    c2 = signed_in(app2)
    old = c2.get(f"/order/{first['order_id']}").json
    assert old["status"] == "filled" and old["price"] == "30000.00" and old["filled_quantity"] == "0.10000000"
    page = c2.get(f"/trades/{SYM}?limit=10").json["trades"]
    ids = [t["trade_id"] for t in page]
    assert ids == list(range(12, 2, -1))
    older = c2.get(f"/trades/{SYM}?limit=10&before={ids[-1]}").json["trades"]
    assert [t["trade_id"] for t in older] == [2, 1]
    stop(app2)


def corrupt(data_dir: Path, which: str, how: str = "flip") -> int:
    """Damage one journal batch ('first', 'middle' or 'last'); return its first record's position."""
    conn = sqlite3.connect(data_dir / "engine.db")
    with conn:
        rows = [r[0] for r in conn.execute("SELECT lsn FROM journal ORDER BY lsn")]
        lsn = {"first": rows[0], "middle": rows[len(rows) // 2], "last": rows[-1]}[which]
        if how == "flip":  # one byte changed in place
            conn.execute("UPDATE journal SET recs = CAST(substr(recs, 1, 5) || X'7F' || substr(recs, 7) AS BLOB) "
                         "WHERE lsn = ?", (lsn,))
        else:  # a torn write: the batch's tail never made it
            conn.execute("UPDATE journal SET recs = substr(recs, 1, 7) WHERE lsn = ?", (lsn,))
    conn.close()
    return lsn


@pytest.mark.parametrize("how", ["torn", "flip"])
def test_corrupt_last_batch_refuses_to_start_until_truncated(tmp_path: Path, how: str) -> None:
    app = make_app(tmp_path)
    c = signed_in(app)
    trade_some(pair(app), 10)
    before = observable(c)
    last = c.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.2",
                                  "price": "1000", "client_order_id": "acked-then-lost"}).json
    stop(app)
    lsn = corrupt(tmp_path, "last", how=how)
    # a committed batch that fails its checksum is corruption: start-up stops and names it
    with pytest.raises(StoreError) as err:
        make_app(tmp_path)
    assert f"journal records {lsn} to {lsn}" in str(err.value) and "journal truncate --after" in str(err.value)
    # truncate is the way past it, and it says what it discards
    cli = [sys.executable, "-m", "api.cli", "journal", "truncate", "--data-dir", str(tmp_path)]
    done = subprocess.run(cli + ["--after", str(lsn - 1)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"records {lsn} to {lsn}" in done.stdout and "discarded 1 record " in done.stdout
    app2 = make_app(tmp_path)
    c2 = signed_in(app2)
    assert observable(c2)["BTC-USDT"] == before["BTC-USDT"]
    assert c2.get(f"/order/{last['order_id']}").status_code == 404  # no ghost from the history table
    nxt = c2.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.2",
                                  "price": "1000"})
    assert nxt.status_code == 200 and nxt.json["order_id"] > last["order_id"]  # its id is not handed out again
    stop(app2)
    app3 = make_app(tmp_path)  # the journal is whole again, and replays to the same ids
    c3 = signed_in(app3)
    assert c3.get(f"/order/{nxt.json['order_id']}").json["order_id"] == nxt.json["order_id"]
    assert c3.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.2",
                                   "price": "1000"}).json["order_id"] == nxt.json["order_id"] + 1
    stop(app3)


def test_corrupt_middle_record_refuses_to_start(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    trade_some(pair(app), 10)
    stop(app)
    lsn = corrupt(tmp_path, "middle")
    with pytest.raises(StoreError) as err:
        make_app(tmp_path)
    assert str(tmp_path / "engine.db") in str(err.value) and f"journal records {lsn} to" in str(err.value)
    # the server says the same and exits non-zero; the offline check agrees
    proc = subprocess.run([sys.executable, "-m", "api", "--port", "1", "--data-dir", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and f"journal records {lsn} to" in proc.stderr and "refusing to start" in proc.stderr
    check = subprocess.run([sys.executable, "-m", "api.cli", "journal", "verify", "--data-dir", str(tmp_path)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert check.returncode == 1 and "corrupt" in check.stderr


def test_incompatible_data_is_refused(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    trade_some(pair(app), 5)
    stop(app)
    with pytest.raises(StoreError, match="symbols"):
        make_app(tmp_path, SYMBOLS="forex")
    conn = sqlite3.connect(tmp_path / "engine.db")
    with conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'format_version'")
    conn.close()
    with pytest.raises(StoreError, match="format 99"):
        make_app(tmp_path)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "engine.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not a usable database"):
        make_app(tmp_path / "other")


def test_journal_admin_commands(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    trade_some(pair(app), 12)
    stop(app)
    run = lambda *a: subprocess.run([sys.executable, "-m", "api.cli", "journal", *a, "--data-dir", str(tmp_path)],  # noqa: E731
                                    cwd=ROOT, capture_output=True, text=True, timeout=60)
    records = DEMO_RECORDS + 12 + 3  # the demo accounts, 12 orders, 3 cancels
    stats = run("stats")
    assert stats.returncode == 0 and f"journal: {records} records" in stats.stdout
    verify = run("verify")
    assert verify.returncode == 0 and f"{records} journal records replayed" in verify.stdout
    snap = run("snapshot")
    assert snap.returncode == 0 and f"snapshot written at record {records}" in snap.stdout
    after = run("stats")
    assert after.returncode == 0 and f"snapshot: at record {records}" in after.stdout
    assert re.search(r"written 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC", after.stdout), after.stdout
    missing = subprocess.run([sys.executable, "-m", "api.cli", "journal", "stats", "--data-dir", str(tmp_path / "none")],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no data" in missing.stderr


def _verify(data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", "journal", "verify", "--data-dir", str(data_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_verify_checks_what_start_up_skips(tmp_path: Path) -> None:
    """Start-up reads only the records after the newest snapshot; verify checks every record the journal still
    holds and replays them from the older snapshot, which must reach the state the newest one gives."""
    app = make_app(tmp_path)
    engine, store = app.extensions["matching_engine"], app.extensions["me_store"]
    clients = pair(app)
    trade_some(clients, 12)
    older = take_snapshot(engine, store)
    buy = {"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.2", "price": "20000"}
    assert clients[1].post("/order", json=buy).status_code == 200  # the one record between the two snapshots
    newest = take_snapshot(engine, store)
    assert newest == older + 1
    assert clients[1].post("/order", json={**buy, "price": "20001"}).status_code == 200
    stop(app)

    ok = _verify(tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "checked: 2 journal records in 2 commits, every checksum and record; 2 snapshots" in ok.stdout, ok.stdout
    assert f"recovered: snapshot at record {newest}, 1 journal record replayed" in ok.stdout, ok.stdout
    assert (f"cross-check: the snapshot at record {older} and 2 journal records after it reach the same state "
            f"as the newest snapshot (record {newest})") in ok.stdout, ok.stdout

    # The record between the snapshots, rewritten with a valid checksum: start-up cannot tell, verify must.
    conn = sqlite3.connect(tmp_path / "engine.db")
    with conn:
        blob = bytearray(conn.execute("SELECT recs FROM journal WHERE lsn = ?", (newest,)).fetchone()[0])
        qty_at = 2 + 22  # after the length prefix: kind, symbol, side, type, post-only, order id, time; then lots
        lots = int.from_bytes(blob[qty_at:qty_at + 8], "little", signed=True)
        blob[qty_at:qty_at + 8] = (lots // 2).to_bytes(8, "little", signed=True)
        conn.execute("UPDATE journal SET recs = ?, crc = ? WHERE lsn = ?",
                     (bytes(blob), checksum(newest, bytes(blob)), newest))
    conn.close()
    stop(make_app(tmp_path))  # start-up restores the newest snapshot and never reads that record
    bad = _verify(tmp_path)
    assert bad.returncode == 1 and "does not reach the state the newest snapshot" in bad.stderr, (bad.stdout, bad.stderr)

    # A batch before the newest snapshot that fails its checksum: also only verify sees it.
    corrupt(tmp_path, "first")
    broken = _verify(tmp_path)
    assert broken.returncode == 1 and f"journal records {newest} to {newest} (batch at {newest}) are corrupt" in \
        broken.stderr, broken.stderr


def test_verify_with_another_history_limit(tmp_path: Path) -> None:
    """A server that kept fewer finished orders (ME_HISTORY_LIMIT) than verify's engine does: the second
    replay keeps more of them, and the states still compare equal over the orders both keep."""
    app = make_app(tmp_path, HISTORY_LIMIT=2)
    engine, store = app.extensions["matching_engine"], app.extensions["me_store"]
    seller, buyer = pair(app)
    older = take_snapshot(engine, store)
    order = {"symbol": SYM, "order_type": "limit", "quantity": "0.1", "price": "30000"}
    for _ in range(4):  # eight finished orders between the snapshots, six more than the server keeps
        assert seller.post("/order", json={**order, "side": "sell"}).json["status"] == "pending"
        assert buyer.post("/order", json={**order, "side": "buy"}).json["status"] == "filled"
    newest = take_snapshot(engine, store)
    stop(app)
    ok = _verify(tmp_path)
    assert ok.returncode == 0, (ok.stdout, ok.stderr)
    assert (f"cross-check: the snapshot at record {older} and 8 journal records after it reach the same state "
            f"as the newest snapshot (record {newest})") in ok.stdout, ok.stdout


def test_journal_stats_counts_in_words(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    # a snapshot of the demo accounts compacts their records away: the order's is the journal's one record
    assert take_snapshot(app.extensions["matching_engine"], app.extensions["me_store"]) == DEMO_RECORDS
    assert signed_in(app).post("/order", json={"symbol": SYM, "side": "buy", "order_type": "limit",
                                               "quantity": "0.1", "price": "30000"}).status_code == 200
    stop(app)
    out = subprocess.run([sys.executable, "-m", "api.cli", "journal", "stats", "--data-dir", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    first = DEMO_RECORDS + 1
    assert f"journal: 1 record, {first} to {first}, in 1 commit\n" in out, out
    assert "history: 1 order, 0 trades\n" in out, out


def test_recovery_is_reported_once_at_start(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(port), "--log-level", "INFO",
                             "--data-dir", str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert output.count("recovered: ") == 1, output
    assert "0 journal records replayed" in output


def test_batch_policy_and_periodic_snapshots(tmp_path: Path) -> None:
    import time

    app = make_app(tmp_path, FSYNC="batch", FSYNC_BATCH_MS=20, SNAPSHOT_INTERVAL_S=1)
    clients = pair(app)
    c = clients[0]
    results = trade_some(clients, 12)
    store = app.extensions["me_store"]
    deadline = time.monotonic() + 5
    while (store.durable_lsn < store.next_lsn - 1 or store.snapshot_lsn == 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.durable_lsn == store.next_lsn - 1, "batch commits did not catch up"
    assert store.snapshot_lsn > 0, "no periodic snapshot"
    before = observable(c)
    stop(app)
    app2 = make_app(tmp_path)
    assert observable(signed_in(app2)) == before
    assert app2.extensions["me_recovery"].snapshot_lsn > 0
    clients2 = pair(app2)
    assert [owner(clients2, r).get(f"/order/{r['order_id']}").status_code for r in results] == [200] * len(results)
    stop(app2)


def test_snapshot_inside_a_commit_batch(tmp_path: Path) -> None:
    from api.storage.recovery import recover
    from api.storage.store import Store

    engine = create_crypto_engine()
    store = Store.open(tmp_path, engine.symbols, "batch")
    engine.journal = store
    for i in range(5):
        engine.submit_order(SYM, "sell", "limit", "0.1", str(30000 + i))
    take_snapshot(engine, store)  # at record 5, while records 1-5 are still uncommitted
    engine.submit_order(SYM, "buy", "limit", "0.25", "30001")
    assert engine.cancel_order(SYM, 3)["success"]
    engine.submit_order(SYM, "buy", "market", "0.1")
    store.commit_pending()  # records 1-8 in one batch
    store.close()
    fresh = create_crypto_engine()
    again = Store.open(tmp_path, fresh.symbols)
    result = recover(fresh, again)
    again.close()
    assert (result.snapshot_lsn, result.replayed, result.last_lsn) == (5, 3, 8)
    ours, theirs = engine.snapshot(), fresh.snapshot()
    for state in (ours, theirs):
        for market in state["markets"].values():
            market.pop("history")  # the timestamps differ: this engine used the wall clock
    assert ours["markets"][SYM]["resting"] == theirs["markets"][SYM]["resting"]
    assert ours == theirs


def test_batch_policy_commits_within_its_interval_of_the_first_record(tmp_path: Path) -> None:
    """Under ``batch``, a record is committed at most --fsync-batch-ms after it arrived (plus the commit itself)."""
    import threading
    import time

    from engine.commands import Submit
    from engine.order import LIMIT, SELL

    engine = create_crypto_engine()
    store = Store.open(tmp_path, engine.symbols, "batch", 200)
    engine.journal = store
    store.start(lambda fn: threading.Thread(target=fn, daemon=True).start())
    try:
        delays = []
        for i in range(4):
            # Right after a commit the committer has just gone back to waiting: the worst moment to arrive.
            deadline = time.monotonic() + 5
            while store.durable_lsn < store.next_lsn - 1 and time.monotonic() < deadline:
                time.sleep(0.001)
            assert engine.execute(Submit(SYM, SELL, LIMIT, 3_000_000 + i, 1_000_000)).executed
            target, sent = store.next_lsn - 1, time.monotonic()
            while store.durable_lsn < target and time.monotonic() < sent + 5:
                time.sleep(0.001)
            delays.append(time.monotonic() - sent)
        assert all(0.15 < d < 0.32 for d in delays), delays  # 200 ms, not up to 400 ms
    finally:
        store.close()


@pytest.mark.parametrize("fork", [True, False], ids=["forked-child", "inline"])
def test_a_forked_snapshot_holds_matching_only_for_the_fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             fork: bool) -> None:
    import threading
    import time

    app = make_app(tmp_path)
    c = signed_in(app)
    engine, store = app.extensions["matching_engine"], app.extensions["me_store"]
    trade_some(pair(app), 5)
    export = type(engine).snapshot_locked

    def slow_export(self):  # type: ignore[no-untyped-def]
        time.sleep(1.5)  # a very large book
        return export(self)

    monkeypatch.setattr(type(engine), "snapshot_locked", slow_export)
    snapshot = threading.Thread(target=take_snapshot, args=(engine, store), kwargs={"fork": fork})
    snapshot.start()
    time.sleep(0.3)  # the snapshot is under way
    started = time.monotonic()
    r = c.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.1",
                               "price": "100"})
    waited = time.monotonic() - started
    snapshot.join(30)
    assert r.status_code == 200
    if fork:
        assert waited < 0.5, waited  # the child exports; the engine went on matching
    else:
        assert waited > 0.8, waited  # inline, the order waited for the export
    assert store.snapshot_lsn > 0
    stop(app)
