"""``matching-engine-loadtest``: drive the server with an open- or closed-model load."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scripts.loadtest import profiles
from scripts.loadtest.accounts import AccountError, Accounts, needs_key, resolve
from scripts.loadtest.fanout import FanOut
from scripts.loadtest.http import HttpConnection, HttpError
from scripts.loadtest.orders import LiveOrders, OrderMix, parse_mix, symbol_info
from scripts.loadtest.report import parse_threshold, summarize, write_reports
from scripts.loadtest.runner import RequestSpec, RunState, run_closed, run_open

EXIT_THRESHOLD = 3
EXIT_SETUP = 4


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="matching-engine-loadtest", description=__doc__)
    p.add_argument("--url", default="http://127.0.0.1:5000", help="server base URL")
    p.add_argument("--rate", type=float, default=100.0, help="target requests/s (open model)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds")
    p.add_argument("--connections", type=int, default=10, help="connections (open) or users (closed)")
    p.add_argument("--test-type", choices=["constant", "spike", "ramp", "soak", "staged"], default="constant")
    p.add_argument("--spike-rate", type=float, default=None, help="spike: rate during the spike (default 5x rate)")
    p.add_argument("--spike-duration", type=float, default=None, help="spike: seconds (default a third of the run)")
    p.add_argument("--baseline-rate", type=float, default=None, help="spike: rate before and after (default --rate)")
    p.add_argument("--ramp-to", type=float, default=None, help="ramp: final rate (default 2x rate)")
    p.add_argument("--stages", default=None, help="staged: e.g. '10s@100,20s@100->500,10s@500'")
    p.add_argument("--model", choices=["open", "closed"], default="open")
    p.add_argument("--think-time", type=float, default=0.0, help="closed model: seconds between a user's requests")
    p.add_argument("--request", default="POST /order", help="'POST /order' (the order mix) or e.g. 'GET /health'")
    p.add_argument("--symbols", default=None, help="comma-separated symbols (default: all the server trades)")
    p.add_argument("--mix", default=None,
                   help="weights of order types and of cancels of the tester's own resting orders, e.g. "
                        "'limit=60,market=5,ioc=5,fok=5,cancel=25' (default limit=70,market=10,ioc=10,fok=10)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--subscribers", type=int, default=0, help="Socket.IO subscribers measuring fan-out latency")
    p.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds")
    p.add_argument("--threshold", action="append", default=[], help="e.g. 'p99<20ms', 'error_rate<0.1%%'; repeatable")
    p.add_argument("--report", action="store_true", help="write report files (JSON, CSV, PNG, .hgrm)")
    p.add_argument("--report-dir", default=None, help="where reports go (default reports/loadtest-<time>)")
    p.add_argument("--quiet", action="store_true", help="no live progress")
    add_account_options(p)
    return p


def add_account_options(p: argparse.ArgumentParser) -> None:
    """--api-key / --accounts / --admin-key, shared with the monitor."""
    g = p.add_argument_group("accounts", "order entry needs an API key; requests go round-robin over the accounts, "
                                         "so that their orders trade with each other (default: the demo accounts "
                                         "of a server on loopback, from GET /demo/keys)")
    g.add_argument("--api-key", action="append", default=[], metavar="KEY",
                   help="an account's API key; repeat for more accounts")
    g.add_argument("--accounts", type=int, default=None, metavar="N",
                   help="create N accounts (loadtest-<run id>-<i>) through the admin surface before the run")
    g.add_argument("--admin-key", default=os.environ.get("ME_ADMIN_KEY"), metavar="K",
                   help="the server's admin key, for --accounts (default: $ME_ADMIN_KEY)")


def check_account_options(args: argparse.Namespace) -> None:
    """Errors of the options alone (exit 2), before anything is sent."""
    if args.api_key and args.accounts is not None:
        raise ValueError("give --api-key or --accounts, not both")
    if args.accounts is not None:
        if args.accounts < 1:
            raise ValueError(f"--accounts must be at least 1, not {args.accounts}")
        if not args.admin_key:
            raise ValueError("--accounts needs the server's admin key: --admin-key K (or ME_ADMIN_KEY)")


async def accounts_for(args: argparse.Namespace, path: str) -> Accounts:
    """The run's accounts: given keys, created ones, or the demo accounts (when ``path`` needs a key)."""
    return await resolve(args.url, getattr(args, "api_key", None), getattr(args, "accounts", None),
                         getattr(args, "admin_key", None), needed=needs_key(path))


def make_profile(args: argparse.Namespace) -> profiles.Profile:
    kind = args.test_type
    if kind == "spike":
        base = args.baseline_rate if args.baseline_rate is not None else args.rate
        return profiles.spike(base, args.spike_rate or 5 * args.rate, args.duration,
                              args.spike_duration if args.spike_duration is not None else args.duration / 3)
    if kind == "ramp":
        return profiles.ramp(args.rate, args.ramp_to if args.ramp_to is not None else 2 * args.rate, args.duration)
    if kind == "soak":
        return profiles.soak(args.rate, args.duration)
    if kind == "staged":
        if not args.stages:
            raise ValueError("--test-type staged needs --stages")
        return profiles.staged(args.stages)
    return profiles.constant(args.rate, args.duration)


async def _get_json(base: str, path: str) -> Any:
    conn = HttpConnection(base, 10)
    try:
        status, body = await conn.request("GET", path)
    finally:
        conn.close()
    if status != 200:
        raise HttpError(f"GET {path} answered {status}")
    return json.loads(body)


async def prepare(args: argparse.Namespace, accounts: Accounts | None = None) -> tuple[RequestSpec, list[str]]:
    """The requests to send, and the symbols they trade; ``accounts``' keys go round-robin with them."""
    keys = [a.header() for a in accounts.accounts] if accounts is not None else []
    method, _, path = args.request.partition(" ")
    if method.upper() != "POST" or path != "/order":
        return RequestSpec(method.upper(), path or "/", keys=keys), []
    listing = await _get_json(args.url, "/symbols")
    wanted = [s.strip() for s in args.symbols.split(",")] if args.symbols else listing["symbols"]
    infos = []
    for name in listing["symbols"]:
        if name in wanted:
            infos.append(symbol_info(listing["symbol_info"][name], await _get_json(args.url, f"/bbo/{name}")))
    unknown = set(wanted) - {i.symbol for i in infos}
    if unknown:
        raise ValueError(f"the server does not trade {', '.join(sorted(unknown))}")
    weights = parse_mix(args.mix)
    mix = OrderMix(infos, weights, seed=args.seed)
    live = LiveOrders(args.seed) if weights.get("cancel", 0) > 0 else None
    bodies, meta = mix.pool_with_meta(20_000)
    return RequestSpec("POST", "/order", bodies, live, keys, meta if live is not None else None), [i.symbol for i in infos]


class Progress:
    """A line every two seconds: elapsed, rate, in flight, errors, rolling p50/p99."""

    def __init__(self, state: RunState, quiet: bool) -> None:
        from rich.console import Console

        self.state, self.quiet = state, quiet
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.last = 0.0
        self.last_sent = 0

    def __call__(self) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if now - self.last < 2.0:
            return
        st = self.state
        elapsed = max(0.0, time.time() - st.started_wall)
        window = now - self.last if self.last else elapsed or 1.0
        rate = (st.sent - self.last_sent) / window if window > 0 else 0.0
        self.last, self.last_sent = now, st.sent
        recent = [st.seconds[s] for s in sorted(st.seconds)[-3:-1]] or list(st.seconds.values())[-1:]
        p50 = max((r.latency.pct_ms(50) or 0 for r in recent), default=0)
        p99 = max((r.latency.pct_ms(99) or 0 for r in recent), default=0)
        target = st.profile.rate_at(elapsed) if st.model == "open" else 0
        self.console.print(
            f"[bold]{elapsed:6.1f}s[/] rate {rate:8.1f}/s" + (f" (target {target:.0f})" if target else "")
            + f"  in flight {st.in_flight:4d}  ok {st.outcomes.accepted}  rejected {st.outcomes.rejected}"
            + f"  limited {st.outcomes.rate_limited}  [red]errors {st.outcomes.errors}[/]"
            + f"  p50 {p50:.2f} ms  p99 {p99:.2f} ms")


def print_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, width=120)
    lat, act, out = summary["latency_from_intended"], summary["latency_from_send"], summary["outcomes"]
    console.print(f"{summary['model']} model against {summary['target']}"
                  + (f", target {summary['target_rate']}/s" if summary["target_rate"] is not None else ""))
    console.print(f"achieved {summary['achieved_rate']}/s: {summary['answered_in_window']} of {summary['scheduled']} "
                  f"answered inside the {summary['window_s']:g} s window")
    console.print(f"sent late {summary['behind_schedule']} (max send lag {summary['max_send_lag_ms']} ms), "
                  f"sent after the window {summary['sent_after_window']}, never sent {summary['unsent']}")
    table = Table("latency (ms)", "p50", "p90", "p99", "p99.9", "max", "count")
    for name, d in (("from intended send", lat), ("from actual send", act)):
        table.add_row(name, *[f"{d.get(k):.3f}" if d.get(k) is not None else "-" for k in
                              ("p50_ms", "p90_ms", "p99_ms", "p99.9_ms", "max_ms")], str(d.get("count", 0)))
    fan = summary.get("fanout")
    if fan:
        for name in ("trade_delay", "l2_delay", "time_to_last_subscriber"):
            d = fan[name]
            table.add_row(f"fan-out {name.replace('_', ' ')}", *[f"{d.get(k):.3f}" if d.get(k) is not None else "-" for k in
                                                                 ("p50_ms", "p90_ms", "p99_ms", "p99.9_ms", "max_ms")],
                          str(d.get("count", 0)))
    console.print(table)
    acc = summary.get("accounts") or {}
    if acc.get("keys"):
        source = {"api-key": "from --api-key", "created": "created for this run", "demo": "the server's demo accounts"}
        console.print(f"accounts: {acc['count']} ({source.get(acc['source'], acc['source'])}): " + ", ".join(
            f"{a['name'] or 'key ' + a['key_id']} {a['requests']} requests"
            + (f" ({a['cancels']} cancels)" if a["cancels"] else "") for a in acc["per_account"]))
    console.print(f"outcomes: accepted {out['accepted']}, rejected {out['rejected']} {out['reject_codes'] or ''}, "
                  f"rate-limited {out['rate_limited']}, errors {out['errors']} (5xx {out['server_errors']}, "
                  f"timeouts {out['timeouts']}, connection {out['connection_errors']})")
    if summary.get("cancels_sent"):
        console.print(f"cancels of its own resting orders: {summary['cancels_sent']} sent; "
                      f"{summary['own_orders_resting']} of its orders still rest at the end")
    if fan:
        console.print(f"fan-out: {fan['subscribers']} subscribers, trades missing {fan['trades_missing']}, "
                      f"duplicates {fan['duplicates']}, out of order {fan['out_of_order']}")


async def run(args: argparse.Namespace) -> tuple[dict[str, Any], RunState]:
    profile = make_profile(args)
    accounts = await accounts_for(args, args.request.partition(" ")[2] or "/")
    spec, symbols = await prepare(args, accounts)
    state = RunState(args.model, profile, args.connections, live=spec.live)
    state.use_accounts(len(accounts))
    loop = asyncio.get_running_loop()
    fan = None
    if args.subscribers > 0:
        fan = FanOut(args.url, symbols, args.subscribers, loop.time)
        await fan.start()
    progress = Progress(state, args.quiet)
    track = spec.path == "/order" and fan is not None  # order ids and trades, for the fan-out check
    if args.model == "open":
        await run_open(state, args.url, spec, args.timeout, track, progress)
    else:
        await run_closed(state, args.url, spec, args.timeout, args.think_time, track, progress)
    fan_result = None
    if fan is not None:
        await fan.stop()
        fan_result = fan.analyse(state.orders, state.trade_ids)
    return summarize(state, f"{spec.method} {args.url}{spec.path}", fan_result, accounts), state


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        thresholds = [parse_threshold(t) for t in args.threshold]
        make_profile(args)
        check_account_options(args)
        if urlsplit(args.url).scheme not in ("http", "https"):
            raise ValueError(f"--url must start with http:// or https://, not {args.url!r}")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        summary, state = asyncio.run(run(args))
    except AccountError as exc:
        print(f"error: no accounts to run with at {args.url}: {exc}", file=sys.stderr)
        return EXIT_SETUP
    except (HttpError, OSError, ValueError, asyncio.TimeoutError) as exc:
        print(f"error: could not run against {args.url}: {exc}", file=sys.stderr)
        return EXIT_SETUP
    print_summary(summary)
    failed = [t for t in thresholds if not t.passed(summary)]
    summary["thresholds"] = [{"threshold": t.text, "actual": t.actual(summary), "passed": t not in failed} for t in thresholds]
    if args.report or args.report_dir:
        directory = Path(args.report_dir or f"reports/loadtest-{time.strftime('%Y%m%d-%H%M%S')}")
        for path in write_reports(summary, state, directory):
            print(f"wrote {path}")
    for t in thresholds:
        status = "FAILED" if t in failed else "ok"
        print(f"threshold {t.text}: {status} (actual {t.actual(summary)})")
    return EXIT_THRESHOLD if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
