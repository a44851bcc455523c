"""A journal that cannot be written: commands stop before they execute, and nothing unrecorded survives."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.test_durability import SYM, make_app, observable, stop, trade_some


def test_journal_failure_stops_commands_before_they_execute(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    c = app.test_client()
    trade_some(c, 12)
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
    c2 = app2.test_client()
    assert observable(c2) == acknowledged  # exactly what was acknowledged, nothing of the failed order
    assert c2.get(f"/order/{lost_id}").status_code == 404
    assert c2.get("/health").status_code == 200
    stop(app2)


def test_a_durability_timeout_says_the_outcome_is_unknown_and_the_order_can_be_found(tmp_path: Path) -> None:
    app = make_app(tmp_path, HISTORY_LIMIT=2)
    c = app.test_client()
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
