"""Durability benchmarks: recovery time of a large journal; HTTP throughput with fsync on and off.

Run: python -m scripts.bench_recovery [--commands 1000000] [--runs 3]
     python -m scripts.bench_recovery --disk [--commands 1000000]
     python -m scripts.bench_recovery --http [--rate 1500] [--duration 20]
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from api.storage.recovery import recover
from api.storage.store import Store
from engine.matcher import create_crypto_engine

ROOT = Path(__file__).resolve().parent.parent
SYM = "BTC-USDT"


def build_journal(data_dir: Path, n: int, seed: int = 42, group: int = 50_000) -> float:
    """Write ``n`` journaled commands (80% orders, 20% cancels) through the engine; return seconds.

    The store's own committer code commits every ``group`` records, as the server's group commit
    does under load; the order and trade history rows are written with their records, as the
    server writes them.  The build skips fsync (``synchronous=OFF``): what is measured is reading the journal back, not
    writing it.
    """
    engine = create_crypto_engine()
    store = Store.open(data_dir, engine.symbols, "batch", 50)
    store.conn.execute("PRAGMA synchronous=OFF")
    engine.journal = store
    rng = random.Random(seed)
    live: list[int] = []
    started = time.perf_counter()
    done = 0
    while done < n:
        if live and rng.random() < 0.2:
            i = rng.randrange(len(live))
            live[i], live[-1] = live[-1], live[i]
            if engine.cancel_order(SYM, live.pop())["success"]:
                done += 1
            continue
        kind = rng.choices(("limit", "market", "ioc", "fok"), (70, 10, 10, 10))[0]
        price = None if kind == "market" else f"{rng.randint(2_970_000, 3_030_000) / 100:.2f}"
        r = engine.submit_order(SYM, "buy" if rng.random() < 0.5 else "sell", kind, f"{rng.randint(1, 1000) / 1000:.3f}", price)
        done += 1
        if r.get("status") in ("pending", "partially_filled"):
            live.append(r["order_id"])
        if done % group == 0:
            store.commit_pending()
    store.commit_pending()
    store.close()
    return time.perf_counter() - started


def _drop_page_cache() -> bool:
    """Empty the OS page cache (needs root); False if this machine does not allow it."""
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except (OSError, subprocess.CalledProcessError):
        return False


def _live_bytes(conn: sqlite3.Connection) -> int:
    """Bytes of the database's pages in use (free pages left by deletes excluded)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0] - conn.execute("PRAGMA freelist_count").fetchone()[0]
    return pages * conn.execute("PRAGMA page_size").fetchone()[0]


def time_recovery(data_dir: Path) -> tuple[float, int]:
    engine = create_crypto_engine()
    started = time.perf_counter()
    store = Store.open(data_dir, engine.symbols)
    result = recover(engine, store)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, result.replayed


def http_run(fsync: str, rate: float, duration: float, connections: int) -> dict:
    from tests.servers import free_port, wait_healthy

    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="me-bench-"))
    args = [sys.executable, "-m", "api", "--port", str(port), "--log-level", "WARNING", "--fsync", fsync,
            "--data-dir", str(data)]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        out = data / "report"
        subprocess.run([sys.executable, "-m", "scripts.loadtest.cli", "--url", url, "--rate", str(rate), "--duration",
                        str(duration), "--connections", str(connections), "--quiet", "--report-dir", str(out)],
                       cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
        summary = json.loads((out / "summary.json").read_text())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    lat = summary["latency_from_intended"]
    return {"fsync": fsync, "completed": summary["achieved_rate"], "scheduled": summary["scheduled"],
            "answered": summary["answered_in_window"], "accepted": summary["outcomes"]["accepted"],
            "errors": summary["outcomes"]["errors"], "sent_late": summary["behind_schedule"],
            "p50_ms": lat["p50_ms"], "p99_ms": lat["p99_ms"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--commands", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--group-sizes", type=lambda t: [int(x) for x in t.split(",")], default=[1, 8, 64],
                   help="records per commit when writing the journal (default 1,8,64)")
    p.add_argument("--http", action="store_true", help="compare HTTP throughput with fsync=always and fsync=off")
    p.add_argument("--disk", action="store_true", help="disk used by the order and trade history per million orders")
    p.add_argument("--rate", type=float, default=1500)
    p.add_argument("--duration", type=float, default=20)
    p.add_argument("--connections", type=int, default=32)
    args = p.parse_args(argv)
    if args.disk:
        with tempfile.TemporaryDirectory(prefix="me-disk-") as tmp:
            build_journal(Path(tmp), args.commands)
            conn = sqlite3.connect(Path(tmp) / "engine.db")
            orders = conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
            trades = conn.execute("SELECT COUNT(*) FROM trades").fetchone()[0]
            with_journal = _live_bytes(conn)
            conn.execute("DELETE FROM journal")  # what compaction leaves once a snapshot covers it
            conn.commit()
            history_only = _live_bytes(conn)
            conn.close()
        per_million = 1_000_000 / orders
        print(f"{args.commands:,} commands: {orders:,} orders and {trades:,} trades in the history; "
              f"database {with_journal / 2**20:.1f} MiB with the journal, {history_only / 2**20:.1f} MiB of history: "
              f"{history_only * per_million / 2**20:.1f} MiB of history per million orders")
        return 0
    if args.http:
        results = [http_run(f, args.rate, args.duration, args.connections) for f in ("off", "always")]
        # Completed throughput counts answers that arrived inside the run's window, so a
        # policy that falls behind shows it here and not only in the p99.
        for r in results:
            print(f"fsync={r['fsync']:6s} target {args.rate:.0f}/s: completed {r['completed']:.1f}/s "
                  f"({r['answered']} of {r['scheduled']} answered inside the window, {r['sent_late']} sent late), "
                  f"accepted {r['accepted']}, errors {r['errors']}, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms")
        off, always = results
        ratio = always["completed"] / off["completed"] if off["completed"] else float("nan")
        print(f"always / off: completed throughput {ratio:.1%}, p99 {always['p99_ms']:.1f} ms vs {off['p99_ms']:.1f} ms")
        return 0
    for group in args.group_sizes:
        with tempfile.TemporaryDirectory(prefix="me-journal-") as tmp:
            seconds = build_journal(Path(tmp), args.commands, group=group)
            size = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 2**20
            print(f"journal of {args.commands:,} commands in commits of {group:,} written in {seconds:.1f} s "
                  f"({size:.0f} MiB)")
            cold = _drop_page_cache()
            first = time_recovery(Path(tmp))
            if cold:
                print(f"  recovery with a cold page cache: {first[0]:.2f} s")
            runs = [time_recovery(Path(tmp)) for _ in range(args.runs)]
            print(f"  recovery with a warm page cache (open + verify + replay {runs[0][1]:,} records): median "
                  f"{statistics.median(r[0] for r in runs):.2f} s (runs: {', '.join(f'{r[0]:.2f}' for r in runs)})",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
