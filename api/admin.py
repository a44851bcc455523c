"""``matching-engine journal verify|snapshot|stats|compact``: inspect a data directory offline."""
from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

from api.storage.recovery import counted, recover
from api.storage.store import DB_NAME, Store, StoreError, default_data_dir
from engine.matcher import MatchingEngine, create_crypto_engine, create_forex_engine


def engine_for(symbols: list[str]) -> MatchingEngine:
    for factory in (create_crypto_engine, create_forex_engine):
        engine = factory()
        if engine.symbols == symbols:
            return engine
    raise StoreError(f"no symbol preset matches the stored symbols {symbols}")


def stored_symbols(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'symbols'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a usable database: {exc}") from None
    finally:
        conn.close()
    if row is None:
        raise StoreError(f"{path} has no metadata: not a matching engine data directory")
    return json.loads(row[0])


def run_journal_command(action: str, data_dir: str | None) -> int:
    directory = Path(data_dir) if data_dir else default_data_dir()
    path = directory / DB_NAME
    if not path.exists():
        print(f"error: no data at {path}", file=sys.stderr)
        return 2
    try:
        symbols = stored_symbols(path)
        if action == "stats":
            return _stats(path, symbols)
        store = Store.open(directory, symbols)
        engine = engine_for(symbols)
        try:
            result = recover(engine, store, dry_run=action == "verify")
            print(result.describe())
            stats = engine.get_statistics()
            print(f"state: {counted(stats['resting_orders'], 'resting order')}, {counted(stats['total_trades'], 'trade')}, "
                  f"next order id {engine.ids.next_order_id:,}")
            if action in ("snapshot", "compact"):
                from api.durability import take_snapshot

                engine.journal = store
                lsn = take_snapshot(engine, store)
                print(f"snapshot written at record {lsn}; journal before the previous snapshot compacted")
        finally:
            store.close()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _stats(path: Path, symbols: list[str]) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        first, last, count, batches = conn.execute(
            "SELECT MIN(lsn), MAX(lsn + count - 1), COALESCE(SUM(count), 0), COUNT(*) FROM journal").fetchone()
        snaps = conn.execute("SELECT lsn, created_at, LENGTH(state) FROM snapshots ORDER BY lsn").fetchall()
        trades = conn.execute("SELECT COUNT(*) FROM trades").fetchone()[0]
        orders = conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    finally:
        conn.close()
    size = sum(p.stat().st_size for p in path.parent.glob(DB_NAME + "*"))
    print(f"data: {path} ({size / 2**20:.1f} MiB with its WAL), symbols {', '.join(symbols)}")
    print(f"journal: {counted(count, 'record')}"
          + (f", {first:,} to {last:,}, in {counted(batches, 'commit')}" if count else ""))
    for lsn, created, length in snaps:
        print(f"snapshot: at record {lsn:,}, {length / 1024:.1f} KiB compressed, written {_utc(created)}")
    print(f"history: {counted(orders, 'order')}, {counted(trades, 'trade')}")
    return 0


def _utc(epoch_s: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch_s))
