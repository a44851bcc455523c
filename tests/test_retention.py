"""History retention: trades and finished orders older than the retention leave the database; live orders stay."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.config import parse_duration_s
from tests.servers import ROOT
from tests.test_durability import SYM, make_app, signed_in, stop


def rows(data_dir: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(data_dir / "engine.db")
    try:
        trades = conn.execute("SELECT COUNT(*) FROM trades").fetchone()[0]
        finished = conn.execute("SELECT COUNT(*) FROM orders WHERE status IN ('filled', 'cancelled', 'rejected')"
                                ).fetchone()[0]
        live = conn.execute("SELECT COUNT(*) FROM orders WHERE status IN ('pending', 'partially_filled')").fetchone()[0]
    finally:
        conn.close()
    return trades, finished, live


def test_old_history_is_pruned_and_live_orders_stay(tmp_path: Path) -> None:
    app = make_app(tmp_path)  # pruned by hand here; the loop is tested below
    c, buyer = signed_in(app, 0), signed_in(app, 1)  # demo-1 sells, demo-2 buys from it
    store = app.extensions["me_store"]

    def trade_pair(price: str) -> None:
        assert c.post("/order", json={"symbol": SYM, "side": "sell", "order_type": "limit", "quantity": "0.1",
                                      "price": price}).status_code == 200
        r = buyer.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "market", "quantity": "0.1"})
        assert (r.status_code, r.json.get("status")) == (200, "filled"), r.json

    resting = c.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.1",
                                     "price": "1000"}).json
    for price in ("30000", "30001", "30002"):
        trade_pair(price)
    time.sleep(3.2)
    trade_pair("30003")  # newer than the retention
    assert rows(tmp_path) == (4, 8, 1)
    trades, orders = store.prune_history(time.time_ns() - 3_000_000_000)
    assert (trades, orders) == (3, 6)
    assert rows(tmp_path) == (1, 2, 1)  # the old live order stays, however old
    assert c.get(f"/order/{resting['order_id']}").json["status"] == "pending"
    assert store.prune_history(time.time_ns() - 3_000_000_000) == (0, 0)
    stop(app)


def test_the_server_prunes_on_its_own(tmp_path: Path) -> None:
    app = make_app(tmp_path, HISTORY_RETENTION="1s")
    c, buyer = signed_in(app, 0), signed_in(app, 1)  # demo-1 sells, demo-2 buys from it
    assert c.post("/order", json={"symbol": SYM, "side": "sell", "order_type": "limit", "quantity": "0.1",
                                  "price": "30000"}).status_code == 200
    r = buyer.post("/order", json={"symbol": SYM, "side": "buy", "order_type": "market", "quantity": "0.1"})
    assert (r.status_code, r.json.get("status")) == (200, "filled"), r.json
    assert rows(tmp_path) == (1, 2, 0)
    deadline = time.monotonic() + 6
    while rows(tmp_path) != (0, 0, 0) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert rows(tmp_path) == (0, 0, 0)
    stop(app)


def test_retention_values() -> None:
    assert parse_duration_s("7d") == 7 * 86400 and parse_duration_s("12h") == 43200
    assert parse_duration_s(None) is None and parse_duration_s("0") is None
    for bad in ("7", "d", "-1d", "1.5h", "7w", "1e3s"):
        with pytest.raises(ValueError):
            parse_duration_s(bad)
    proc = subprocess.run([sys.executable, "-m", "api", "--history-retention", "7 weeks"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "7d, 12h, 30m or 90s" in proc.stderr
