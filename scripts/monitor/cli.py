"""``matching-engine-monitor``: watch a running server; modes monitor, comprehensive, burst, profile.

monitor        sample the server process and its /metrics for --duration seconds
comprehensive  run a suite of load scenarios (with cool-downs) while sampling; one timeline
burst          write --burst-requests orders at once, pipelined over --connections connections, while sampling
profile        a steady load while sampling fast: CPU time and memory per order

The modes that send orders need API keys: --api-key (repeatable), --accounts N --admin-key K, or by
default the demo accounts of a server on loopback; orders go round-robin over the accounts.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scripts.loadtest.accounts import AccountError, Accounts
from scripts.loadtest.http import HttpError
from scripts.monitor.process import ProcessNotFound, ProcessSampler, find_process
from scripts.monitor.recorder import Recorder


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="matching-engine-monitor", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", nargs="?", choices=["monitor", "comprehensive", "burst", "profile"], default="monitor")
    p.add_argument("--url", default="http://127.0.0.1:5000", help="server base URL (for /metrics, /health, load)")
    p.add_argument("--pid", type=int, default=None, help="server PID (default: whoever listens on the URL's port)")
    p.add_argument("--port", type=int, default=None, help="find the server by this listening port")
    p.add_argument("--duration", type=float, default=60.0, help="monitor mode: seconds")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    p.add_argument("--out-dir", default=None, help="where CSV/JSON/PNG go (default reports/monitor-<mode>-<time>)")
    p.add_argument("--loadtest-report", default=None, help="a load tester report dir to draw on the same timeline")
    p.add_argument("--rate", type=float, default=500.0, help="comprehensive/profile: base rate")
    p.add_argument("--scenario-duration", type=float, default=20.0, help="comprehensive: seconds per scenario")
    p.add_argument("--cooldown", type=float, default=5.0, help="comprehensive: seconds between scenarios")
    p.add_argument("--burst-requests", type=int, default=500, help="burst: orders written at once (pipelined over --connections)")
    p.add_argument("--connections", type=int, default=16)
    from scripts.loadtest.cli import add_account_options

    add_account_options(p)
    return p


def resolve_accounts(args: argparse.Namespace) -> Accounts:
    """The accounts the order-sending modes use, resolved once for every scenario."""
    from scripts.loadtest.cli import accounts_for, check_account_options

    try:
        check_account_options(args)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    return asyncio.run(accounts_for(args, "/order"))


def loadtest_series(report_dir: str | None) -> list[dict] | None:
    """A load tester's per-second rows with wall-clock times, to share the monitor's timeline."""
    if not report_dir:
        return None
    d = Path(report_dir)
    started = json.loads((d / "summary.json").read_text())["started_at"]
    rows = []
    with (d / "timeseries.csv").open() as fh:
        for row in csv.DictReader(fh):
            rows.append({"wall": started + int(row["second"]) + 0.5, "sent": int(row["sent"]),
                         "p99_ms": float(row["p99_ms"]) if row["p99_ms"] else None})
    return rows


def _loadtest(url: str, out: Path, accounts: Accounts, *args: str) -> dict[str, Any]:
    from scripts.loadtest.cli import main as loadtest_main

    keys = [arg for a in accounts.accounts for arg in ("--api-key", a.api_key)]
    code = loadtest_main(["--url", url, "--quiet", "--report-dir", str(out), *keys, *args])
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    return {"exit_code": code, "achieved_rate": summary.get("achieved_rate"),
            "latency_ms": summary.get("latency_from_intended"), "outcomes": summary.get("outcomes"),
            "report_dir": str(out)}


async def _burst(url: str, n: int, connections: int, accounts: Accounts) -> dict[str, Any]:
    """Send ``n`` orders at the same instant: each of ``connections`` connections writes its
    share in one go (HTTP pipelining), then reads the answers as they come.  The orders go
    round-robin over ``accounts``, each with its account's key."""
    from scripts.loadtest.cli import prepare
    from scripts.loadtest.http import HttpConnection

    spec, _ = await prepare(argparse.Namespace(url=url, request="POST /order", symbols=None, mix=None, seed=7), accounts)
    conns = [HttpConnection(url, 10) for _ in range(max(1, min(connections, n)))]
    shares = [list(range(k, n, len(conns))) for k in range(len(conns))]
    latencies: list[float] = []
    codes: dict[str, int] = {}
    loop = asyncio.get_running_loop()

    def failed(count: int) -> None:
        codes["error"] = codes.get("error", 0) + count

    connected = []
    for conn, share in zip(conns, shares):  # connect first, so that the burst itself is only the requests
        try:
            await conn.send(b"")
            connected.append((conn, share))
        except (OSError, asyncio.TimeoutError):
            failed(len(share))
    t0 = loop.time()

    async def worker(conn: HttpConnection, share: list[int]) -> None:
        try:
            requests = [spec.request(i) for i in share]
            await conn.send(b"".join(conn.build("POST", path, body, spec.header(who)) for path, body, who in requests))
            for answered in range(len(share)):
                try:
                    status, _ = await conn.receive()
                except (HttpError, asyncio.TimeoutError):
                    failed(len(share) - answered)  # the connection is closed: the rest go unanswered
                    return
                codes[str(status)] = codes.get(str(status), 0) + 1
                latencies.append(loop.time() - t0)
        finally:
            conn.close()

    await asyncio.gather(*(worker(c, sh) for c, sh in connected))
    elapsed = loop.time() - t0
    latencies.sort()
    return {"requests": n, "connections": connections, "elapsed_s": round(elapsed, 3),
            "throughput_per_s": round(n / elapsed, 1) if elapsed else None, "status_codes": codes,
            "p50_completion_ms": round(latencies[len(latencies) // 2] * 1000, 2) if latencies else None,
            "last_completion_ms": round(latencies[-1] * 1000, 2) if latencies else None,
            "accounts": len(accounts)}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    port = args.port
    if args.pid is None and port is None:
        port = urlsplit(args.url).port or 80
    try:
        proc = find_process(args.pid, port)
    except ProcessNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    accounts = Accounts("none", [])
    if args.mode != "monitor":  # the modes that send orders
        try:
            accounts = resolve_accounts(args)
        except AccountError as exc:
            print(f"error: no accounts to send orders with at {args.url}: {exc}", file=sys.stderr)
            return 2
        except (HttpError, OSError, ValueError) as exc:
            print(f"error: could not reach {args.url}: {exc}", file=sys.stderr)
            return 2
    print(f"monitoring PID {proc.pid} ({' '.join(proc.cmdline())[:100]})")
    rec = Recorder(ProcessSampler(proc), args.url, args.interval)
    out = Path(args.out_dir or f"reports/monitor-{args.mode}-{time.strftime('%Y%m%d-%H%M%S')}")
    extra: dict[str, Any] = {"mode": args.mode, "pid": proc.pid}
    if accounts.accounts:
        extra["accounts"] = {"count": accounts.distinct, "source": accounts.source,
                             "list": [a.public() for a in accounts.accounts]}

    if args.mode == "monitor":
        rec.run(args.duration)
    else:
        rec.start(duration_s=3600)
        try:
            time.sleep(min(2.0, args.interval * 2))
            if args.mode == "comprehensive":
                scenarios = [
                    ("constant", ["--rate", str(args.rate), "--duration", str(args.scenario_duration)]),
                    ("ramp", ["--test-type", "ramp", "--rate", str(args.rate / 2), "--ramp-to", str(args.rate * 2),
                              "--duration", str(args.scenario_duration)]),
                    ("spike", ["--test-type", "spike", "--rate", str(args.rate), "--spike-rate", str(args.rate * 3),
                               "--duration", str(args.scenario_duration)]),
                ]
                results = {}
                for name, sargs in scenarios:
                    rec.mark(name)
                    results[name] = _loadtest(args.url, out / f"loadtest-{name}", accounts,
                                              "--connections", str(args.connections), *sargs)
                    rec.mark("cool-down")
                    time.sleep(args.cooldown)
                extra["scenarios"] = results
            elif args.mode == "burst":
                rec.mark("burst")
                extra["burst"] = asyncio.run(_burst(args.url, args.burst_requests, args.connections, accounts))
                time.sleep(2.0)
            elif args.mode == "profile":
                before = rec.sampler.proc.cpu_times()
                rss_before = rec.sampler.proc.memory_info().rss
                rec.mark("steady load")
                result = _loadtest(args.url, out / "loadtest-profile", accounts, "--rate", str(args.rate),
                                   "--duration", str(args.scenario_duration), "--connections", str(args.connections))
                after = rec.sampler.proc.cpu_times()
                cpu_s = (after.user + after.system) - (before.user + before.system)
                done = (result.get("outcomes") or {}).get("total") or 0
                extra["profile"] = {**result, "server_cpu_s": round(cpu_s, 3),
                                    "server_cpu_ms_per_request": round(cpu_s * 1000 / done, 4) if done else None,
                                    "rss_growth_mb": round((rec.sampler.proc.memory_info().rss - rss_before) / 2**20, 2)}
        finally:
            rec.stop()
    series = loadtest_series(args.loadtest_report)
    if series is None and args.mode in ("comprehensive", "profile"):
        series = []
        for sub in sorted(out.glob("loadtest-*")):
            series.extend(loadtest_series(str(sub)) or [])
        series.sort(key=lambda row: row["wall"])
    for path in rec.write(out, f"{args.mode}: PID {proc.pid} at {args.url}", extra, series):
        print(f"wrote {path}")
    for key in ("burst", "profile", "scenarios"):
        if key in extra:
            print(json.dumps({key: extra[key]}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
