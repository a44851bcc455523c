"""Crash test: a real server under load is killed with SIGKILL; nothing acknowledged is lost."""
from __future__ import annotations

import random
import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path

import requests

from api.storage.records import decode, unpack
from engine import codec
from engine.commands import Submit
from engine.matcher import create_crypto_engine
from engine.sequencing import IdSource
from tests.servers import free_port, server_process

SYMBOLS = ("BTC-USDT", "ETH-USDT")
MID = {"BTC-USDT": 30000, "ETH-USDT": 2000}


def random_order(rng: random.Random) -> dict:
    symbol = rng.choice(SYMBOLS)
    kind = rng.choices(["limit", "market", "ioc", "fok"], [70, 10, 10, 10])[0]
    body = {"symbol": symbol, "side": rng.choice(["buy", "sell"]), "order_type": kind,
            "quantity": f"{rng.randint(1, 50) / 100:.2f}"}
    if kind != "market":
        body["price"] = f"{MID[symbol] + rng.randint(-20, 20)}.00"
    return body


def load(url: str, seed: int, acked: list[dict], stop: threading.Event) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    for _ in range(5000):  # bounded in count; the kill or the deadline ends it sooner
        if stop.is_set():
            return
        try:
            r = session.post(f"{url}/order", json=random_order(rng), timeout=5)
        except requests.RequestException:
            return
        if r.status_code == 200:
            acked.append(r.json())


def journal_commands(data_dir: Path) -> list:
    conn = sqlite3.connect(data_dir / "engine.db")
    symbols = __import__("json").loads(conn.execute("SELECT value FROM meta WHERE key='symbols'").fetchone()[0])
    rows = conn.execute("SELECT recs FROM journal ORDER BY lsn").fetchall()
    conn.close()
    return [decode(rec, symbols) for (blob,) in rows for rec in unpack(blob)]


def reference_engine(commands: list):  # type: ignore[no-untyped-def]
    """The same commands through submit_order/cancel_order (not replay), with the recorded ids and times."""
    times = iter([c.ts_ns for c in commands])
    engine = create_crypto_engine(ids=IdSource(), clock=lambda: next(times, 0))
    for c in commands:
        m = engine.market(c.symbol)
        if isinstance(c, Submit):
            r = engine.submit_order(c.symbol, c.side, c.order_type, codec.qty_text(m, c.qty_lots),
                                    codec.price_text(m, c.price_ticks),
                                    c.client_order_id, post_only=c.post_only)
            assert r.get("order_id") == c.order_id, r
        else:
            assert engine.cancel_order(c.symbol, c.order_id)["success"]
    return engine


def test_sigkill_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    port = free_port()
    acked: list[dict] = []
    stop = threading.Event()
    with server_process("--data-dir", str(tmp_path), "--fsync", "always", port=port) as (url, proc):
        threads = [threading.Thread(target=load, args=(url, seed, acked, stop)) for seed in range(6)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(acked) < 600 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.kill()  # SIGKILL, mid-flight
        proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert len(acked) >= 300, "the load did not get going"

    commands = journal_commands(tmp_path)
    journaled = {c.order_id for c in commands if isinstance(c, Submit)}
    assert {a["order_id"] for a in acked} <= journaled  # every acknowledgement was durable first
    reference = reference_engine(commands)

    with server_process("--data-dir", str(tmp_path), "--fsync", "always", port=free_port()) as (url, _):
        for a in acked:
            now = requests.get(f"{url}/order/{a['order_id']}?symbol={a['symbol']}", timeout=5).json()
            assert (now["side"], now["order_type"], now["quantity"], now["price"]) == \
                   (a["side"], a["order_type"], a["quantity"], a["price"])
            if a["status"] in ("filled", "cancelled", "rejected"):
                assert (now["status"], now["filled_quantity"]) == (a["status"], a["filled_quantity"]), (a, now)
            else:  # a resting order may have traded since it was acknowledged
                assert Decimal(now["filled_quantity"]) >= Decimal(a["filled_quantity"])
                assert now["status"] in ("pending", "partially_filled", "filled")
        trade_ids: list[int] = []
        total = Decimal(0)
        for symbol in SYMBOLS:
            book = requests.get(f"{url}/book/{symbol}?levels=100", timeout=5).json()
            ref = reference.get_book_snapshot(symbol, 100)
            assert (book["bids"], book["asks"], book["sequence"]) == (ref["bids"], ref["asks"], ref["sequence"])
            before = None
            for _ in range(100):  # page through every trade of the symbol
                q = f"{url}/trades/{symbol}?limit=1000" + (f"&before={before}" if before else "")
                page = requests.get(q, timeout=5).json()["trades"]
                if not page:
                    break
                trade_ids += [t["trade_id"] for t in page]
                total += sum(Decimal(t["quantity"]) for t in page)
                before = page[-1]["trade_id"]
            stats = requests.get(f"{url}/statistics?symbol={symbol}", timeout=5).json()
            assert stats == reference.get_statistics(symbol)
        assert len(trade_ids) == len(set(trade_ids)) == reference.get_statistics()["total_trades"]
        assert sorted(trade_ids) == list(range(1, len(trade_ids) + 1))  # none missing, none duplicated
        ref_total = sum(Decimal(reference.get_statistics(s)["volume"]) for s in SYMBOLS)
        assert total == ref_total
