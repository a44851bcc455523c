"""Engine benchmarks: throughput, memory per resting order, per-order latency.

Run: python -m scripts.bench_engine [--runs 5] [--only api|core|deep|memory|latency]
Each throughput figure is the median of several runs after a warm-up; the
streams are seeded, so every run sees the same commands.
"""
from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc
from decimal import Decimal

from engine.book import OrderBook
from engine.matcher import create_crypto_engine
from engine.order import BUY, SELL, Order

SYM = "BTC-USDT"


def api_stream(n: int, seed: int = 42) -> list[tuple]:
    """80% new orders (70/10/10/10 limit/market/ioc/fok), ±1% of 30000, 0.001-1.000; 20% cancels."""
    rng = random.Random(seed)
    out: list[tuple] = []
    for _ in range(n):
        if rng.random() < 0.2:
            out.append(("cancel",))
            continue
        order_type = rng.choices(("limit", "market", "ioc", "fok"), (70, 10, 10, 10))[0]
        side = "buy" if rng.random() < 0.5 else "sell"
        qty = str(Decimal(rng.randint(1, 1000)) / 1000)
        price = None if order_type == "market" else str(Decimal(rng.randint(2_970_000, 3_030_000)) / 100)
        out.append((side, order_type, qty, price))
    return out


def run_api(stream: list[tuple], seed: int = 42) -> float:
    engine = create_crypto_engine()
    rng = random.Random(seed)
    resting: list[int] = []
    submit, cancel = engine.submit_order, engine.cancel_order
    gc.collect()
    t0 = time.perf_counter()
    for cmd in stream:
        if len(cmd) == 1:
            if resting:
                i = rng.randrange(len(resting))
                resting[i], resting[-1] = resting[-1], resting[i]
                cancel(SYM, resting.pop())
            continue
        r = submit(SYM, cmd[0], cmd[1], cmd[2], cmd[3])
        if r.get("status") in ("pending", "partially_filled"):
            resting.append(r["order_id"])
    return len(stream) / (time.perf_counter() - t0)


def core_stream(n: int, seed: int = 42, prefill: int = 0) -> list[tuple[int, int, int]]:
    """(kind, side/price, lots): 80% limits within ±1% of 30000.00, 1-100 lots; 20% cancels."""
    rng = random.Random(seed)
    out = []
    for i in range(n + prefill):
        if i >= prefill and rng.random() < 0.2:
            out.append((0, 0, 0))
        else:
            side = 1 if rng.random() < 0.5 else 2
            if i < prefill:  # deep variant: a book that does not cross, bids below asks
                price = rng.randint(2_970_000, 2_999_999) if side == 1 else rng.randint(3_000_001, 3_030_000)
            else:
                price = rng.randint(2_970_000, 3_030_000)
            out.append((side, price, rng.randint(1, 100)))
    return out


def run_core(stream: list[tuple[int, int, int]], prefill: int = 0, seed: int = 42) -> tuple[float, int]:
    book = OrderBook(SYM)
    rng = random.Random(seed)
    live: list[Order] = []
    add, cancel = book.add_limit, book.cancel
    next_id = 1
    for side, price, lots in stream[:prefill]:
        o = Order(next_id, SYM, BUY if side == 1 else SELL, "limit", price, lots)
        next_id += 1
        add(o)
        live.append(o)
    gc.collect()
    body = stream[prefill:]
    t0 = time.perf_counter()
    for side, price, lots in body:
        if side == 0:
            while live:
                i = rng.randrange(len(live))
                o = live[i]
                live[i] = live[-1]
                live.pop()
                if o.status == "pending" or o.status == "partially_filled":
                    cancel(o.order_id)
                    break
            continue
        o = Order(next_id, SYM, BUY if side == 1 else SELL, "limit", price, lots)
        next_id += 1
        add(o)
        if o.remaining_lots:
            live.append(o)
    rate = len(body) / (time.perf_counter() - t0)
    return rate, len(book)


def memory_per_order(n: int) -> float:
    """Bytes traced per resting order with ``n`` resting orders (10,000 price levels)."""
    rng = random.Random(42)
    specs = [(BUY if i % 2 else SELL, rng.randint(1, 100)) for i in range(n)]
    gc.collect()
    tracemalloc.start()
    book = OrderBook(SYM)
    base = tracemalloc.get_traced_memory()[0]
    ts = time.time_ns()
    for i, (side, lots) in enumerate(specs):
        price = 2_990_000 - (i % 5000) if side is BUY else 3_010_000 + (i % 5000)
        book.rest(Order(i + 1, SYM, side, "limit", price, lots, None, ts + i))
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert len(book) == n
    return used / n


def latency_deep(levels: int, samples: int) -> dict[str, float]:
    """Per-order latency (µs) through submit_order with ``levels`` price levels per side."""
    engine = create_crypto_engine()
    book = engine.get_order_book(SYM)
    assert book is not None
    for i in range(levels):
        book.rest(Order(10_000_000 + 2 * i, SYM, BUY, "limit", 2_000_000 - i, 1000))
        book.rest(Order(10_000_001 + 2 * i, SYM, SELL, "limit", 4_000_000 + i, 1000))
    rng = random.Random(42)
    lat = []
    submit, cancel = engine.submit_order, engine.cancel_order
    perf = time.perf_counter_ns
    for _ in range(samples):
        side = "buy" if rng.random() < 0.5 else "sell"
        kind = rng.random()
        if kind < 0.6:   # a new level inside the spread, then cancelled
            price = f"{rng.randint(2_000_100, 3_999_900) / 100:.2f}"
            t0 = perf()
            r = submit(SYM, side, "limit", "0.01", price)
            lat.append(perf() - t0)
            t0 = perf()
            cancel(SYM, r["order_id"])
            lat.append(perf() - t0)
        else:            # a taker that crosses the best level
            t0 = perf()
            submit(SYM, side, "ioc", "0.00001", "40000.00" if side == "buy" else "20000.00")
            lat.append(perf() - t0)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] / 1000  # noqa: E731
    return {"p50": q(0.5), "p99": q(0.99), "p99.9": q(0.999), "levels": book.level_count("buy") + book.level_count("sell")}


def profile_api() -> None:
    """Print the API stream's time by function (cProfile; absolute times are inflated by it)."""
    import cProfile
    import pstats

    stream = api_stream(100_000)
    run_api(stream)
    prof = cProfile.Profile()
    prof.runcall(run_api, stream)
    stats = pstats.Stats(prof)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    print(f"{'own time':>9}  {'share':>6}  function")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:18]  # type: ignore[attr-defined]
    for (filename, line, name), (_, _, tottime, _, _) in rows:
        where = filename.split("/site-packages/")[-1].split("/work/")[-1]
        print(f"{tottime:8.3f}s  {tottime / total:6.1%}  {name} ({where}:{line})")


def median_of(fn, runs: int) -> tuple[float, list[float]]:
    fn()  # warm-up
    values = [fn() for _ in range(runs)]
    return statistics.median(values), values


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["api", "core", "deep", "memory", "latency"])
    parser.add_argument("--memory-orders", type=int, default=1_000_000)
    parser.add_argument("--profile", action="store_true", help="profile the API stream: where the time goes")
    args = parser.parse_args(argv)
    if args.profile:
        profile_api()
        return
    fmt = lambda vals: ", ".join(f"{v:,.0f}" for v in vals)  # noqa: E731

    if args.only in (None, "api"):
        stream = api_stream(100_000)
        med, vals = median_of(lambda: run_api(stream), args.runs)
        print(f"submit_order API, mixed stream, 100,000 commands: median {med:,.0f} orders/s  (runs: {fmt(vals)})")
    if args.only in (None, "core"):
        stream = core_stream(100_000)
        med, vals = median_of(lambda: run_core(stream)[0], args.runs)
        print(f"core path (ticks/lots), 100,000 messages:          median {med:,.0f} msgs/s  (runs: {fmt(vals)})")
    if args.only in (None, "deep"):
        stream = core_stream(100_000, prefill=50_000)
        resting = run_core(stream, prefill=50_000)[1]
        med, vals = median_of(lambda: run_core(stream, prefill=50_000)[0], args.runs)
        print(f"core path, deep book (~{resting:,} resting at end): median {med:,.0f} msgs/s  (runs: {fmt(vals)})")
    if args.only in (None, "memory"):
        per = memory_per_order(args.memory_orders)
        print(f"memory: {per:,.0f} bytes per resting order at {args.memory_orders:,} resting orders (tracemalloc)")
    if args.only in (None, "latency"):
        res = [latency_deep(100_000, 20_000) for _ in range(3)]
        p50 = statistics.median(r["p50"] for r in res)
        p99 = statistics.median(r["p99"] for r in res)
        p999 = statistics.median(r["p99.9"] for r in res)
        print(f"latency with {res[0]['levels']:,.0f} price levels: median of 3 runs p50 {p50:.1f} µs, p99 {p99:.1f} µs, p99.9 {p999:.1f} µs")


if __name__ == "__main__":
    main()
