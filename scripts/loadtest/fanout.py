"""Market-data fan-out: Socket.IO subscribers that time trades and book updates.

Each subscriber records when it received every ``trade`` and ``l2_update``.  After
the run, receipts are joined with the orders that caused them:

* a trade is caused by its taker order: delay = receipt - the order's intended send;
* a book update reflects an order once its ``sequence`` reaches the sequence the
  order's response reported: delay = first such receipt - the order's intended send.
"""
from __future__ import annotations

import asyncio
import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import socketio

from scripts.loadtest.stats import Latency

NS = "/market"


@dataclass
class Subscriber:
    name: str
    client: socketio.AsyncClient
    trades: list[tuple[int, int, float]] = field(default_factory=list)   # (trade_id, taker_order_id, t)
    l2: dict[str, list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))  # symbol -> (seq, t)


class FanOut:
    def __init__(self, base_url: str, symbols: list[str], count: int, clock: Any) -> None:
        self.base_url = base_url
        self.symbols = symbols
        self.count = count
        self.clock = clock  # the event loop's time(), shared with the request timings
        self.subscribers: list[Subscriber] = []

    async def start(self, timeout_s: float = 10.0) -> None:
        for i in range(self.count):
            client = socketio.AsyncClient(reconnection=False)
            sub = Subscriber(f"sub{i}", client)
            self._wire(sub)
            await client.connect(self.base_url, namespaces=[NS], transports=["websocket"], wait_timeout=timeout_s)
            ready = asyncio.Event()
            expected = 1 + len(self.symbols)
            acks = {"n": 0}

            async def on_subscribed(data: Any = None, acks=acks, ready=ready, expected=expected) -> None:
                acks["n"] += 1
                if acks["n"] >= expected:
                    ready.set()

            client.on("subscribed", on_subscribed, namespace=NS)
            await client.emit("subscribe", {"type": "trades"}, namespace=NS)
            for symbol in self.symbols:
                await client.emit("subscribe", {"type": "l2_updates", "symbol": symbol}, namespace=NS)
            await asyncio.wait_for(ready.wait(), timeout_s)
            self.subscribers.append(sub)

    def _wire(self, sub: Subscriber) -> None:
        clock = self.clock

        async def on_trade(data: Any) -> None:
            sub.trades.append((data["trade_id"], data["taker_order_id"], clock()))

        async def on_l2(data: Any) -> None:
            sub.l2[data["symbol"]].append((data["sequence"], clock()))

        sub.client.on("trade", on_trade, namespace=NS)
        sub.client.on("l2_update", on_l2, namespace=NS)

    async def stop(self, settle_s: float = 0.5) -> None:
        await asyncio.sleep(settle_s)  # let the last updates arrive
        for sub in self.subscribers:
            await sub.client.disconnect()

    def analyse(self, orders: dict[int, tuple[float, str, int]], trade_ids: set[int]) -> dict:
        """Delays, time-to-last-subscriber, and sequence checks."""
        trade_delay, l2_delay, last_sub = Latency(), Latency(), Latency()
        per_trade_last: dict[int, float] = {}
        missing = duplicates = out_of_order = 0
        for sub in self.subscribers:
            seen: set[int] = set()
            for trade_id, taker, t in sub.trades:
                if trade_id in seen:
                    duplicates += 1
                    continue
                seen.add(trade_id)
                order = orders.get(taker)
                if order is not None:
                    trade_delay.record_s(t - order[0])
                    per_trade_last[trade_id] = max(per_trade_last.get(trade_id, 0.0), t - order[0])
            missing += len(trade_ids - seen)
            for symbol, rows in sub.l2.items():
                seqs = [s for s, _ in rows]
                for a, b in zip(seqs, seqs[1:]):
                    if b == a:
                        duplicates += 1
                    elif b < a:
                        out_of_order += 1
            for intended, symbol, seq in orders.values():
                rows = sub.l2.get(symbol)
                if not rows or seq <= 0:
                    continue
                idx = bisect.bisect_left(rows, (seq, float("-inf")))
                if idx < len(rows):
                    l2_delay.record_s(rows[idx][1] - intended)
        for value in per_trade_last.values():
            last_sub.record_s(value)
        return {
            "subscribers": len(self.subscribers),
            "trade_delay": trade_delay.summary(),
            "l2_delay": l2_delay.summary(),
            "time_to_last_subscriber": last_sub.summary(),
            "trades_expected_per_subscriber": len(trade_ids),
            "trades_missing": missing,
            "duplicates": duplicates,
            "out_of_order": out_of_order,
            "l2_updates_received": sum(len(r) for s in self.subscribers for r in s.l2.values()),
            "_hist": {"trade_delay": trade_delay, "l2_delay": l2_delay},
        }

