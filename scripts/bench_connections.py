"""Connection floods and idle WebSocket clients against a real server on loopback.

``python -m scripts.bench_connections flood``: hold 2,000 idle and 2,000 slowloris connections
(each reopened when the server closes it) while a fresh client sends ``GET /health`` and
``POST /order`` alternately, each on a new connection, for 30 s; report the fresh client's
success rate and percentiles, and how long the server let the flood's connections live.
Its orders are sent with ``--api-key``, else with a demo account's key (``GET /demo/keys``:
the server is started on loopback with a fresh data directory, so it has demo accounts).

``python -m scripts.bench_connections websockets``: the server's memory (RSS) with no client
and with 5,000 idle Socket.IO clients on ``/market`` (WebSocket transport), per client.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import psutil

ROOT = Path(__file__).resolve().parent.parent


def _raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextlib.contextmanager
def server(*args: str) -> Iterator[tuple[int, subprocess.Popen]]:
    from tests.servers import free_port, wait_healthy

    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="me-bench-"))
    cmd = [sys.executable, "-m", "api", "--port", str(port), "--log-level", "WARNING", "--data-dir", str(data), *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        yield port, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


# ---- flood --------------------------------------------------------------------------------

def _flood_process(port: int, idle: int, slow: int, hold_s: float, ready: multiprocessing.Event,
                   results: multiprocessing.Queue) -> None:
    from scripts.flood import Flood

    _raise_open_files()
    flood = Flood("127.0.0.1", port, idle=idle, slow=slow, slow_interval_s=1.0).start()
    flood.ready.wait(120)
    ready.set()
    time.sleep(hold_s)
    stats = flood.stop()
    results.put({"opened": stats.opened, "failed_to_open": stats.failed_to_open,
                 "closed": stats.closed_by_server, "open_at_end": stats.open_at_end})


def listen_overflows() -> int | None:
    """Linux's count of connections dropped because an accept queue was full (all sockets)."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=False))
            return int(table["ListenOverflows"]) if "ListenOverflows" in table else None
    return None


def _lifetimes(values: list[float]) -> str:
    if not values:
        return "none"
    values = sorted(values)
    return (f"{len(values)}, lived median {statistics.median(values):.2f} s, "
            f"max {values[-1]:.2f} s")


def run_flood(args: argparse.Namespace) -> int:
    from scripts.flood import probe

    from scripts.flood import demo_key

    server_args = ["--fsync", args.fsync]
    with server(*server_args) as (port, popen):
        server_proc = psutil.Process(popen.pid)
        api_key = args.api_key or demo_key("127.0.0.1", port)  # before the flood takes the connections
        ready = multiprocessing.Event()
        results: multiprocessing.Queue = multiprocessing.Queue()
        # The flood runs in a process of its own, so that its work never delays the fresh client's clock.
        flooder = multiprocessing.Process(target=_flood_process, daemon=True,
                                          args=(port, args.idle, args.slow, args.duration + 2, ready, results))
        flooder.start()
        if not ready.wait(180):
            print("the flood could not open its connections", file=sys.stderr)
            return 1
        # connect() returns once the kernel has the connection, before the server accepts it:
        # start measuring when the server holds the whole flood, not while it still takes it in.
        deadline = time.monotonic() + 60
        while server_proc.num_fds() < args.idle + args.slow and time.monotonic() < deadline:
            time.sleep(0.1)
        opened_at = time.monotonic()
        cpu_before = sum(server_proc.cpu_times()[:2])
        overflows_before = listen_overflows()
        print(f"flood of {args.idle} idle + {args.slow} slowloris connections open after warm-up; "
              f"fresh client for {args.duration:g} s at {args.rate:g} requests/s", flush=True)
        result = probe("127.0.0.1", port, args.duration, args.rate, timeout_s=5.0, api_key=api_key)
        stats = results.get(timeout=120)
        flooder.join(timeout=30)
        elapsed = time.monotonic() - opened_at
        cpu = sum(server_proc.cpu_times()[:2]) - cpu_before
        overflows = listen_overflows()
        print(f"measured over {elapsed:.1f} s; the server used {cpu:.1f} s of CPU ({100 * cpu / elapsed:.0f}% of a core); "
              f"load average {os.getloadavg()[0]:.2f}")
        if overflows is not None and overflows_before is not None:
            print(f"connections dropped by a full accept queue (whole machine): {overflows - overflows_before}")
    total = sum(len(v) for v in result.latencies_s.values()) + len(result.failures)
    ok = total - len(result.failures)
    print(f"fresh client: {ok}/{total} answered 200 ({100 * ok / total:.2f}%)")
    for name, values in result.latencies_s.items():
        print(f"  {name}: {len(values)} requests, p50 {result.percentile_ms(name, 0.5):.1f} ms, "
              f"p99 {result.percentile_ms(name, 0.99):.1f} ms, max {result.percentile_ms(name, 1.0):.1f} ms")
    for failure in result.failures[:10]:
        print(f"  failure: {failure}")
    print(f"flood: {stats['opened']} connections opened, {stats['failed_to_open']} failed to open")
    for kind in ("idle", "slow"):
        print(f"  {kind}: closed by the server {_lifetimes(stats['closed'][kind])}; "
              f"open at the end {_lifetimes(stats['open_at_end'][kind])}")
    return 0 if not result.failures else 1


# ---- idle websockets ----------------------------------------------------------------------

async def _hold_clients(port: int, count: int, hold_s: float, proc: psutil.Process) -> tuple[int, int, int]:
    import aiohttp

    url = f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
    connected = 0
    stop = asyncio.Event()

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal connected
        async with session.ws_connect(url, heartbeat=None, autoping=True) as ws:
            opening = await ws.receive_str()  # 0{"sid":...}
            assert opening.startswith("0"), opening
            await ws.send_str("40/market,")
            while True:
                message = await ws.receive_str()
                if message.startswith("40/market"):
                    break
            connected += 1
            while not stop.is_set():  # answer Engine.IO pings, ignore the rest
                try:
                    message = await asyncio.wait_for(ws.receive_str(), 1.0)
                except asyncio.TimeoutError:
                    continue
                if message == "2":
                    await ws.send_str("3")

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = []
        for i in range(count):
            tasks.append(asyncio.create_task(client(session)))
            if i % 100 == 99:
                await asyncio.sleep(0.05)  # connect in steps rather than in one burst
        deadline = time.monotonic() + 120
        while connected < count and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            if all(t.done() for t in tasks):
                break
        await asyncio.sleep(hold_s)  # let the server settle before measuring
        rss = proc.memory_info().rss
        fds = proc.num_fds()
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return connected, rss, fds


def run_websockets(args: argparse.Namespace) -> int:
    _raise_open_files()
    with server("--fsync", "off") as (port, popen):
        proc = psutil.Process(popen.pid)
        time.sleep(2)
        baseline = proc.memory_info().rss
        connected, rss, fds = asyncio.run(_hold_clients(port, args.clients, 5.0, proc))
    per_client = (rss - baseline) / max(1, connected)
    print(f"{connected}/{args.clients} idle Socket.IO clients on /market (websocket)")
    print(f"server RSS {baseline / 2**20:.1f} MiB with none, {rss / 2**20:.1f} MiB with them "
          f"({fds} open files): {per_client / 1024:.1f} KiB per client")
    return 0 if connected == args.clients else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    flood = sub.add_parser("flood", help="fresh-client latency beside idle and slowloris floods")
    flood.add_argument("--idle", type=int, default=2000)
    flood.add_argument("--slow", type=int, default=2000)
    flood.add_argument("--duration", type=float, default=30.0)
    flood.add_argument("--rate", type=float, default=50.0, help="fresh-client requests per second")
    flood.add_argument("--fsync", choices=["always", "batch", "off"], default="always")
    flood.add_argument("--api-key", default=None,
                       help="the key the fresh client's orders are sent with (default: a demo account's, "
                            "from the server's GET /demo/keys)")
    ws = sub.add_parser("websockets", help="server memory per idle Socket.IO client")
    ws.add_argument("--clients", type=int, default=5000)
    args = p.parse_args(argv)
    return run_flood(args) if args.mode == "flood" else run_websockets(args)


if __name__ == "__main__":
    raise SystemExit(main())
