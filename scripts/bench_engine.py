"""Engine benchmarks: throughput, memory per resting order, per-order latency.

Run: python -m scripts.bench_engine [--runs 5] [--only api|core|deep|memory|latency] [--profile core|api]

Every figure goes through the engine's one entry, ``execute(command)`` (the call the
server makes), or through its public string wrappers.  Streams are seeded, and each
cancel targets an order that is live at that moment: a first, untimed pass resolves
which one; the timed passes then run the very same commands on fresh engines and
must end in the same state.  Throughput figures are medians of several runs after a
warm-up.
"""
from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc
from decimal import Decimal
from typing import Callable

from engine import BUY, LIMIT, SELL, Cancel, MatchingEngine, Submit, SymbolConfig, create_crypto_engine
from engine.commands import CreateAccount, Deposit

SYM = "BTC-USDT"
Stream = list[tuple]


def core_engine() -> MatchingEngine:
    """The core streams' venue: tick 0.01, one lot = 0.001, no minimum notional (so 1-100 lots all trade)."""
    engine = MatchingEngine()
    engine.add_symbol(SymbolConfig(SYM, tick_size="0.01", step_size="0.001", min_quantity="0.001",
                                   max_quantity="1000", min_notional="0"))
    return engine


# ---- streams ---------------------------------------------------------------------

def core_stream(n: int, seed: int = 42, prefill: int = 0) -> Stream:
    """``prefill`` resting limits that do not cross, then ``n`` messages: 80% limits uniform within ±1% of
    30000.00 on 0.01 ticks, 1-100 lots, either side; 20% cancels (``None`` until resolved)."""
    rng = random.Random(seed)
    out: Stream = []
    for i in range(n + prefill):
        if i >= prefill and rng.random() < 0.2:
            out.append((None, 0, 0))
            continue
        side = BUY if rng.random() < 0.5 else SELL
        if i < prefill:  # bids below asks: a book that does not cross
            price = rng.randint(2_970_000, 2_999_999) if side is BUY else rng.randint(3_000_001, 3_030_000)
        else:
            price = rng.randint(2_970_000, 3_030_000)
        out.append((side, price, rng.randint(1, 100)))
    return out


def resolve_cancels(stream: Stream, seed: int = 42) -> Stream:
    """Give each cancel the id of an order that is live when it runs (untimed pass). Side None: a cancel."""
    engine = core_engine()
    book = engine.get_order_book(SYM)
    assert book is not None
    rng = random.Random(seed)
    live: list[int] = []
    out: Stream = []
    for side, price, lots in stream:
        if side is None:
            while live:
                i = rng.randrange(len(live))
                live[i], live[-1] = live[-1], live[i]
                oid = live.pop()
                if book.get_order(oid) is not None:
                    assert engine.execute(Cancel(SYM, oid)).executed
                    out.append((None, oid, 0))
                    break
            continue
        result = engine.execute(Submit(SYM, side, LIMIT, price, lots))
        assert result.executed, result
        if result.status in ("pending", "partially_filled"):
            live.append(result.order.order_id)  # type: ignore[union-attr]
        out.append((side, price, lots))
    return out


def run_core(stream: Stream, prefill: int = 0) -> tuple[float, MatchingEngine]:
    """Execute the stream's commands, built inside the timed loop; return messages/s and the engine."""
    engine = core_engine()
    execute = engine.execute
    for side, price, lots in stream[:prefill]:
        execute(Submit(SYM, side, LIMIT, price, lots))
    body = stream[prefill:]
    gc.collect()
    t0 = time.perf_counter()
    for side, price, lots in body:
        if side is None:
            execute(Cancel(SYM, price))
        else:
            execute(Submit(SYM, side, LIMIT, price, lots))
    rate = len(body) / (time.perf_counter() - t0)
    return rate, engine


def accounts_engine(accounts: int) -> MatchingEngine:
    """The core venue with ``accounts`` accounts, each funded far beyond what the stream needs."""
    engine = core_engine()
    for i in range(accounts):
        account_id = engine.execute(CreateAccount(f"bench-{i}")).command.account_id
        for asset, places in engine.accounts.decimals.items():
            engine.execute(Deposit(account_id, asset, 10 ** (places + 12)))
    return engine


def resolve_account_cancels(stream: Stream, accounts: int, seed: int = 42) -> list[tuple]:
    """The core stream with an owner for each order (round robin) and each cancel sent by the order's owner:
    every order is locked, settled and checked for self-trades (untimed pass)."""
    engine = accounts_engine(accounts)
    book = engine.get_order_book(SYM)
    assert book is not None
    rng = random.Random(seed)
    live: list[tuple[int, int]] = []
    out: list[tuple] = []
    for i, (side, price, lots) in enumerate(stream):
        if side is None:
            while live:
                j = rng.randrange(len(live))
                live[j], live[-1] = live[-1], live[j]
                oid, owner = live.pop()
                if book.get_order(oid) is not None:
                    assert engine.execute(Cancel(SYM, oid, account=owner)).executed
                    out.append((None, oid, 0, owner))
                    break
            continue
        owner = i % accounts + 1
        result = engine.execute(Submit(SYM, side, LIMIT, price, lots, account=owner))
        assert result.executed, result
        if result.order.is_live:  # type: ignore[union-attr]
            live.append((result.order.order_id, owner))  # type: ignore[union-attr]
        out.append((side, price, lots, owner))
    engine.check_invariants()
    return out


def run_accounts(stream: list[tuple], accounts: int) -> tuple[float, MatchingEngine]:
    """:func:`run_core` with accounts: ownership, locks, settlement and self-trade prevention on every order."""
    engine = accounts_engine(accounts)
    execute = engine.execute
    gc.collect()
    t0 = time.perf_counter()
    for side, price, lots, owner in stream:
        if side is None:
            execute(Cancel(SYM, price, account=owner))
        else:
            execute(Submit(SYM, side, LIMIT, price, lots, account=owner))
    rate = len(stream) / (time.perf_counter() - t0)
    return rate, engine


def api_stream(n: int, seed: int = 42) -> Stream:
    """80% new orders (70/10/10/10 limit/market/ioc/fok), ±1% of 30000, 0.001-1.000; 20% cancels."""
    rng = random.Random(seed)
    out: Stream = []
    for _ in range(n):
        if rng.random() < 0.2:
            out.append(("cancel", None))
            continue
        order_type = rng.choices(("limit", "market", "ioc", "fok"), (70, 10, 10, 10))[0]
        side = "buy" if rng.random() < 0.5 else "sell"
        qty = str(Decimal(rng.randint(1, 1000)) / 1000)
        price = None if order_type == "market" else str(Decimal(rng.randint(2_970_000, 3_030_000)) / 100)
        out.append((side, order_type, qty, price))
    return out


def resolve_api_cancels(stream: Stream, seed: int = 42) -> Stream:
    """The API stream with each cancel aimed at an order live at that moment (untimed pass)."""
    engine = create_crypto_engine()
    book = engine.get_order_book(SYM)
    assert book is not None
    rng = random.Random(seed)
    live: list[int] = []
    out: Stream = []
    for cmd in stream:
        if cmd[0] == "cancel":
            while live:
                i = rng.randrange(len(live))
                live[i], live[-1] = live[-1], live[i]
                oid = live.pop()
                if book.get_order(oid) is not None:
                    assert engine.cancel_order(SYM, oid)["success"]
                    out.append(("cancel", oid))
                    break
            continue
        r = engine.submit_order(SYM, *cmd)
        if r.get("status") in ("pending", "partially_filled"):
            live.append(r["order_id"])
        out.append(cmd)
    return out


def run_api(stream: Stream) -> tuple[float, float, float, int, int]:
    """submit_order / cancel_order on the resolved stream: (all/s, submits/s, cancels/s, submits, cancels)."""
    engine = create_crypto_engine()
    submit, cancel = engine.submit_order, engine.cancel_order
    perf = time.perf_counter
    t_submit = t_cancel = 0.0
    n_submit = n_cancel = failed = 0
    gc.collect()
    t0 = perf()
    for cmd in stream:
        if cmd[0] == "cancel":
            t = perf()
            ok = cancel(SYM, cmd[1])["success"]
            t_cancel += perf() - t
            n_cancel += 1
            failed += not ok
        else:
            t = perf()
            submit(SYM, cmd[0], cmd[1], cmd[2], cmd[3])
            t_submit += perf() - t
            n_submit += 1
    total = perf() - t0
    assert failed == 0, f"{failed} cancels missed a live order"
    return len(stream) / total, n_submit / t_submit, n_cancel / t_cancel, n_submit, n_cancel


# ---- memory and latency ----------------------------------------------------------

def memory_per_order(n: int, per_level: int) -> float:
    """Bytes traced per resting order with ``n`` resting orders, ``per_level`` orders per price level."""
    levels = max(1, n // per_level)
    specs = [(BUY if i % 2 else SELL, (i // 2) % levels, 1000 + i % 97) for i in range(n)]
    engine = create_crypto_engine(history_limit=0)
    execute = engine.execute
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for side, level, lots in specs:
        price = 2_000_000 - level if side is BUY else 4_000_000 + level
        execute(Submit(SYM, side, LIMIT, price, lots * 1000))
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    book = engine.get_order_book(SYM)
    assert book is not None and len(book) == n
    return used / n


def latency_deep(levels: int, samples: int) -> dict[str, float]:
    """Latency (µs) of submit_order and of cancel_order with ``levels`` price levels per side."""
    engine = create_crypto_engine()
    execute = engine.execute
    for i in range(levels):
        execute(Submit(SYM, BUY, LIMIT, 2_000_000 - i, 100_000))
        execute(Submit(SYM, SELL, LIMIT, 4_000_000 + i, 100_000))
    rng = random.Random(42)
    orders: list[int] = []
    cancels: list[int] = []
    submit, cancel = engine.submit_order, engine.cancel_order
    perf = time.perf_counter_ns
    for _ in range(samples):
        side = "buy" if rng.random() < 0.5 else "sell"
        if rng.random() < 0.6:  # a new level inside the spread, then cancelled
            price = f"{rng.randint(2_000_100, 3_999_900) / 100:.2f}"
            t0 = perf()
            r = submit(SYM, side, "limit", "0.01", price)
            orders.append(perf() - t0)
            t0 = perf()
            cancel(SYM, r["order_id"])
            cancels.append(perf() - t0)
        else:  # a taker that crosses the best level
            t0 = perf()
            submit(SYM, side, "ioc", "0.001", "40000.00" if side == "buy" else "20000.00")
            orders.append(perf() - t0)
    book = engine.get_order_book(SYM)
    assert book is not None

    def q(values: list[int], p: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(p * len(values)))] / 1000

    return {"orders_p50": q(orders, 0.5), "orders_p99": q(orders, 0.99), "orders_p999": q(orders, 0.999),
            "cancels_p50": q(cancels, 0.5), "cancels_p99": q(cancels, 0.99),
            "levels": book.level_count(BUY) + book.level_count(SELL)}


# ---- profiling and main ----------------------------------------------------------

def profile(fn: Callable[[], object]) -> None:
    """Print where ``fn`` spends its time (cProfile; absolute times are inflated by it)."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.runcall(fn)
    stats = pstats.Stats(prof)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    print(f"{'own time':>9}  {'share':>6}  function")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:18]  # type: ignore[attr-defined]
    for (filename, line, name), (_, _, tottime, _, _) in rows:
        where = filename.split("/site-packages/")[-1].split("/work/")[-1]
        print(f"{tottime:8.3f}s  {tottime / total:6.1%}  {name} ({where}:{line})")


def median_of(fn: Callable[[], float], runs: int) -> tuple[float, list[float]]:
    fn()  # warm-up
    values = [fn() for _ in range(runs)]
    return statistics.median(values), values


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["api", "core", "accounts", "deep", "memory", "latency"])
    parser.add_argument("--memory-orders", type=int, default=1_000_000)
    parser.add_argument("--profile", choices=["core", "api"], help="print where the time goes instead")
    args = parser.parse_args(argv)
    fmt = lambda vals: ", ".join(f"{v:,.0f}" for v in vals)  # noqa: E731

    if args.profile == "core":
        stream = resolve_cancels(core_stream(100_000))
        profile(lambda: run_core(stream))
        return
    if args.profile == "api":
        stream = resolve_api_cancels(api_stream(100_000))
        profile(lambda: run_api(stream))
        return

    if args.only in (None, "core"):
        stream = resolve_cancels(core_stream(100_000))
        reference = run_core(stream)[1]
        med, vals = median_of(lambda: _checked(run_core(stream), reference), args.runs)
        print(f"execute(), 100,000 messages (80% limits, 20% cancels of live orders): "
              f"median {med:,.0f} msgs/s  (runs: {fmt(vals)})")
    if args.only in (None, "accounts"):
        stream4 = resolve_account_cancels(core_stream(100_000), 4)
        reference = run_accounts(stream4, 4)[1]
        med, vals = median_of(lambda: _checked(run_accounts(stream4, 4), reference), args.runs)
        print(f"execute(), the same stream from 4 accounts (locks, settlement, self-trade prevention): "
              f"median {med:,.0f} msgs/s  (runs: {fmt(vals)})")
    if args.only in (None, "deep"):
        stream = resolve_cancels(core_stream(100_000, prefill=50_000))
        reference = run_core(stream, prefill=50_000)[1]
        resting = len(reference.get_order_book(SYM))  # type: ignore[arg-type]
        med, vals = median_of(lambda: _checked(run_core(stream, prefill=50_000), reference), args.runs)
        print(f"execute(), deep book (50,000 resting before, {resting:,} after): "
              f"median {med:,.0f} msgs/s  (runs: {fmt(vals)})")
    if args.only in (None, "api"):
        stream = resolve_api_cancels(api_stream(100_000))
        runs = [run_api(stream) for _ in range(args.runs + 1)][1:]
        total = statistics.median(r[0] for r in runs)
        subs = statistics.median(r[1] for r in runs)
        cans = statistics.median(r[2] for r in runs)
        print(f"submit_order + cancel_order, mixed stream ({runs[0][3]:,} orders, {runs[0][4]:,} cancels of live "
              f"orders): median {total:,.0f} commands/s; submits alone {subs:,.0f}/s, cancels alone {cans:,.0f}/s  "
              f"(runs: {fmt([r[0] for r in runs])})")
    if args.only in (None, "memory"):
        for per_level, name in ((100, "dense, 100 orders per level"), (1, "sparse, 1 order per level")):
            per = memory_per_order(args.memory_orders, per_level)
            print(f"memory: {per:,.0f} bytes per resting order, {args.memory_orders:,} resting, {name} (tracemalloc)")
    if args.only in (None, "latency"):
        res = [latency_deep(200_000, 20_000) for _ in range(3)]
        med = {k: statistics.median(r[k] for r in res) for k in res[0]}
        print(f"latency with {med['levels']:,.0f} price levels (median of 3 runs): orders p50 {med['orders_p50']:.1f} µs, "
              f"p99 {med['orders_p99']:.1f} µs, p99.9 {med['orders_p999']:.1f} µs; "
              f"cancels p50 {med['cancels_p50']:.1f} µs, p99 {med['cancels_p99']:.1f} µs")


def _checked(run: tuple[float, MatchingEngine], reference: MatchingEngine) -> float:
    """The run's rate, after checking it ended exactly where the reference pass did."""
    rate, engine = run
    assert engine.get_statistics() == reference.get_statistics(), "a timed run diverged from the reference pass"
    return rate


if __name__ == "__main__":
    main()
