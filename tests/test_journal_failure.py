"""A journal that cannot be written: commands stop before they execute, and nothing unrecorded survives."""
from __future__ import annotations

import io
import sqlite3
import threading
import time
from pathlib import Path

from tests.conftest import demo_key
from tests.test_durability import SYM, make_app, observable, signed_in, stop, trade_some


def test_journal_failure_stops_commands_before_they_execute(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    c = signed_in(app)
    trade_some((c, signed_in(app, 1)), 12)
    acknowledged = observable(c)
    store = app.extensions["me_store"]

    def broken(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error (injected)")

    store._write_locked = broken  # the next commit fails, as a full or failing disk would
    r = c.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "market", "quantity": "0.2",
                               "client_order_id": "lost-1"})
    assert r.status_code == 503, r.json
    assert r.json["reason"] == "JOURNAL_FAILED" and r.json["client_order_id"] == "lost-1", r.json
    lost_id = r.json["order_id"]
    after_failure = observable(c)
    refused = [
        c.post("/order", json={"symbol": SYM, "side": "sell", "order_type": "limit", "quantity": "0.1",
                               "price": "30000"}),
        c.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "market", "quantity": "0.5"}),
        c.post("/cancel", json={"symbol": SYM, "order_id": 2}),
        c.post("/cancel", json={"symbol": "ETH-USDT", "client_order_id": "c1"}),
    ]
    for resp in refused:
        assert resp.status_code == 503, resp.json
        assert (resp.json["error_code"], resp.json["reason"]) == ("STORAGE_UNAVAILABLE", "JOURNAL_UNAVAILABLE")
    assert observable(c) == after_failure  # nothing executed after the failure
    health = c.get("/health")
    assert health.status_code == 503 and health.json["status"] == "unhealthy"
    stop(app, snapshot=True)  # a clean shutdown must not snapshot what the journal never recorded

    app2 = make_app(tmp_path)
    c2 = signed_in(app2)
    assert observable(c2) == acknowledged  # exactly what was acknowledged, nothing of the failed order
    assert c2.get(f"/order/{lost_id}").status_code == 404
    assert c2.get("/health").status_code == 200
    stop(app2)


def test_a_durability_timeout_says_the_outcome_is_unknown_and_the_order_can_be_found(tmp_path: Path) -> None:
    app = make_app(tmp_path, HISTORY_LIMIT=2)
    c = signed_in(app)
    store = app.extensions["me_store"]
    real_wait = store.wait_durable
    store.wait_durable = lambda timeout_s=10.0: False  # the journal did not confirm in time (and has not failed)
    r = c.post("/order", json={"symbol": SYM, "side": "sell", "order_type": "limit", "quantity": "0.1",
                               "price": "30000", "client_order_id": "maybe-1"})
    assert r.status_code == 503 and r.json["reason"] == "OUTCOME_UNKNOWN", r.json
    assert (r.json["client_order_id"], r.json["symbol"]) == ("maybe-1", SYM) and r.json["order_id"] > 0
    store.wait_durable = real_wait
    found = c.get(f"/order/client/maybe-1?symbol={SYM}")
    assert found.status_code == 200 and found.json["order_id"] == r.json["order_id"], found.json
    assert found.json["status"] == "pending"
    # once finished and gone from the engine's memory, the database still answers, newest first
    assert c.post("/cancel", json={"symbol": SYM, "client_order_id": "maybe-1"}).status_code == 200
    again = c.post("/order", json={"symbol": SYM, "side": "sell", "order_type": "limit", "quantity": "0.2",
                                   "price": "30001", "client_order_id": "maybe-1"}).json
    assert c.post("/cancel", json={"symbol": SYM, "order_id": again["order_id"]}).status_code == 200
    for price in ("29000", "29001", "29002"):  # push both out of the engine's history of 2
        oid = c.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.1",
                                     "price": price}).json["order_id"]
        assert c.post("/cancel", json={"symbol": SYM, "order_id": oid}).status_code == 200
    newest = c.get(f"/order/client/maybe-1?symbol={SYM}")
    assert newest.status_code == 200 and newest.json["order_id"] == again["order_id"], newest.json
    assert newest.json["status"] == "cancelled"
    assert c.get(f"/order/client/nobody?symbol={SYM}").status_code == 404
    assert c.get("/order/client/maybe-1").status_code == 400
    stop(app)


def test_a_snapshot_never_stands_for_records_the_journal_lost(tmp_path: Path) -> None:
    """A snapshot taken while a record is buffered must not be installed once that record's commit fails."""
    from api.durability import take_snapshot
    from api.storage import StoreError

    app = make_app(tmp_path)
    c = signed_in(app)
    trade_some((c, signed_in(app, 1)), 4)
    acknowledged = observable(c)
    engine, store = app.extensions["matching_engine"], app.extensions["me_store"]
    release = threading.Event()
    real_write = store._write_locked

    def failing_write(*args: object) -> None:
        release.wait(10)
        raise sqlite3.OperationalError("disk I/O error (injected)")

    store._write_locked = failing_write
    answers: list[int] = []
    t = threading.Thread(target=lambda: answers.append(c.post("/order", json={
        "symbol": SYM, "side": "sell", "order_type": "limit", "quantity": "0.3", "price": "31000"}).status_code))
    t.start()
    deadline = time.monotonic() + 5
    while store.next_lsn - 1 <= store.durable_lsn and time.monotonic() < deadline:
        time.sleep(0.01)
    outcome: list[BaseException | int] = []

    def snapshot() -> None:  # captures the buffered order, then waits for its commit
        try:
            outcome.append(take_snapshot(engine, store, fork=True))
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    s = threading.Thread(target=snapshot)
    s.start()
    time.sleep(0.5)
    release.set()  # the commit fails
    t.join(10)
    s.join(40)
    assert answers == [503] and len(outcome) == 1 and isinstance(outcome[0], StoreError), (answers, outcome)
    assert not list((tmp_path / "snapshots").glob("*.snap"))
    store._write_locked = real_write
    stop(app, snapshot=True)
    app2 = make_app(tmp_path)
    assert observable(signed_in(app2)) == acknowledged  # the lost order did not come back
    stop(app2)


def test_numbers_past_the_journal_format_are_refused_not_crashed(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    c = signed_in(app)
    before = observable(c)
    for price, qty in (("100000000000000000000", "0.01"), ("30000", "100000000000")):
        r = c.post("/order", json={"symbol": SYM, "side": "sell", "order_type": "limit", "quantity": qty,
                                   "price": price})
        assert r.status_code == 400 and r.json["reason"] in ("INVALID_NUMBER", "QUANTITY_ABOVE_MAX"), r.json
    assert observable(c) == before
    # a Content-Length of thousands of digits (int() refuses past 4,300) is simply too large
    statuses: list[str] = []
    body = app.extensions["me_order_entry"]({
        "PATH_INFO": "/order", "REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "9" * 5000, "wsgi.input": io.BytesIO(b"{}"), "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_API_KEY": demo_key(app)},
        lambda status, headers: statuses.append(status))
    assert statuses == ["413 REQUEST ENTITY TOO LARGE"] and b"BODY_TOO_LARGE" in b"".join(body)
    stop(app)
