"""Snapshot stalls: order latency while the server snapshots a large book, forked child vs inline.

Run: python -m scripts.bench_snapshot [--orders 1000000] [--rate 500] [--duration 40] [--interval 10]

Builds a data directory holding ``--orders`` resting orders (journaled, then snapshotted), starts
the server on it once per snapshot mode with a snapshot every ``--interval`` seconds, drives
orders at ``--rate`` with the load tester, and prints the latency percentiles from the intended
send together with the snapshots the server wrote during the run (from its log).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from api.durability import take_snapshot
from api.storage.store import Store
from engine import BUY, LIMIT, SELL, Submit, create_crypto_engine

ROOT = Path(__file__).resolve().parent.parent
SYM = "BTC-USDT"


def build(data_dir: Path, orders: int) -> float:
    """Journal ``orders`` resting limits (100 per level, far from 30,000) and snapshot them; return seconds."""
    started = time.perf_counter()
    engine = create_crypto_engine()
    store = Store.open(data_dir, engine.symbols, "batch", 50)
    engine.journal = store
    execute = engine.execute
    for i in range(orders):
        side = BUY if i % 2 else SELL
        level = (i // 2) // 100
        price = 2_900_000 - level if side is BUY else 3_100_000 + level
        result = execute(Submit(SYM, side, LIMIT, price, 100_000))
        assert result.executed and result.status == "pending", result
        if i % 100_000 == 99_999:
            store.commit_pending()
    store.commit_pending()
    take_snapshot(engine, store)
    store.close()
    return time.perf_counter() - started


def run(data_dir: Path, mode: str, rate: float, duration: float, interval: int) -> dict:
    from tests.servers import free_port, wait_healthy

    port = free_port()
    log_path = data_dir.parent / f"server-{mode}.log"
    args = [sys.executable, "-m", "api", "--port", str(port), "--log-level", "INFO", "--data-dir", str(data_dir),
            "--snapshot-mode", mode, "--snapshot-interval", str(interval), "--no-rate-limit"]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    report = data_dir.parent / f"report-{mode}"
    try:
        wait_healthy(url, proc, timeout_s=300)
        subprocess.run([sys.executable, "-m", "scripts.loadtest.cli", "--url", url, "--rate", str(rate), "--duration",
                        str(duration), "--connections", "16", "--quiet", "--report-dir", str(report)],
                       cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
        summary = json.loads((report / "summary.json").read_text())
        rss_mb = psutil.Process(proc.pid).memory_info().rss / 2**20
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    snapshots, forks = [], []
    for line in log_path.read_text().splitlines():
        if '"snapshot written"' in line:
            snapshots.append(json.loads(line).get("seconds"))
        elif '"snapshot child done"' in line:
            forks.append(json.loads(line).get("fork_ms"))
    lat = summary["latency_from_intended"]
    return {"mode": mode, "p50": lat["p50_ms"], "p99": lat["p99_ms"], "p999": lat["p99.9_ms"], "max": lat["max_ms"],
            "count": lat["count"], "errors": summary["outcomes"]["server_errors"] + summary["outcomes"]["timeouts"],
            "snapshots": snapshots, "forks": forks, "rss_mb": rss_mb}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--duration", type=float, default=40)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--modes", default="fork,inline")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="me-snap-"))
    try:
        for mode in args.modes.split(","):
            data = tmp / f"data-{mode}"
            data.mkdir()
            seconds = build(data, args.orders)
            size = sum(f.stat().st_size for f in data.iterdir()) / 2**20
            print(f"{mode}: data directory with {args.orders:,} resting orders built in {seconds:.1f} s ({size:.0f} MiB)")
            r = run(data, mode, args.rate, args.duration, args.interval)
            shown = ", ".join(f"{s:.2f} s" for s in r["snapshots"] if s is not None)
            print(f"{mode}: {r['count']:,} orders at {args.rate:.0f}/s while snapshotting every {args.interval} s "
                  f"({len(r['snapshots'])} snapshots written, taking {shown or 'n/a'}): p50 {r['p50']:.2f} ms, "
                  f"p99 {r['p99']:.2f} ms, p99.9 {r['p999']:.2f} ms, max {r['max']:.2f} ms, errors {r['errors']}; "
                  f"server {r['rss_mb']:.0f} MiB resident"
                  + (f", fork {', '.join(f'{f:.1f}' for f in r['forks'])} ms" if r["forks"] else ""), flush=True)
            shutil.rmtree(data, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
