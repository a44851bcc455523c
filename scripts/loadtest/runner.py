"""The run loops: open model (absolute schedule) and closed model (users with think time)."""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Callable

from scripts.loadtest.http import HttpConnection, HttpError
from scripts.loadtest.orders import InFlight, LiveOrders, Meta
from scripts.loadtest.profiles import Profile
from scripts.loadtest.stats import Latency, Outcomes, Second

LATE_S = 0.002  # a send more than 2 ms after its intended time counts as behind schedule


@dataclass
class RequestSpec:
    method: str
    path: str
    bodies: list[bytes | None] | None = None  # cycled; None for a body-less request
    live: LiveOrders | None = None  # the order mix with cancels: where a body is None, cancel one of these
    keys: list[bytes] = field(default_factory=list)  # per account, its key's header line; empty: no key sent
    meta: list[Meta | None] | None = None  # per body, what could make it trade (with ``live``: no self-races)
    inflight: InFlight | None = None

    def __post_init__(self) -> None:
        if self.live is not None and self.meta is not None and self.inflight is None:
            self.inflight = InFlight()

    def next(self, i: int) -> tuple[str, bytes | None, int | None, tuple | None]:
        """Request ``i``: its path and body, the account (index into ``keys``) that sends it,
        and a token to :meth:`release` once its answer has been taken in (None: nothing to release).

        Requests go round-robin over the accounts, so that one account's orders meet the
        others' in the book; a cancel goes with the key of the account whose order it is.
        """
        keys = self.keys
        who = i % len(keys) if keys else None
        bodies = self.bodies
        if not bodies:
            return self.path, None, who, None
        body = bodies[i % len(bodies)]
        if body is not None and self.inflight is None:
            return self.path, body, who, None
        if body is None:
            inflight = self.inflight
            live = self.live
            victim = live.take_owned(inflight.victim_safe if inflight is not None else None) if live is not None else None
            if victim is not None:
                symbol, oid, owner, buys, price = victim
                token = inflight.add_cancel(symbol, buys, price) if inflight is not None else None
                return ("/cancel", b'{"symbol":"%s","order_id":%d}' % (symbol.encode(), oid),
                        owner if keys else None, token)
            # nothing of ours rests (that can be cancelled without racing a fill of ours): an order instead
        return self._order(i, who)

    def _order(self, i: int, who: int | None) -> tuple[str, bytes | None, int | None, tuple | None]:
        """The first order of the pool from ``i`` on that cannot fill an order whose cancel is in flight."""
        bodies, meta, inflight = self.bodies, self.meta, self.inflight
        assert bodies
        n = len(bodies)
        first = None
        for k in range(n):
            j = (i + k) % n
            body = bodies[j]
            if body is None:
                continue
            if inflight is None or meta is None:
                return self.path, body, who, None
            m = meta[j]
            assert m is not None
            if first is None:
                first = j
            if inflight.order_safe(*m):
                return self.path, body, who, inflight.add_order(*m)
            if k >= 1000:  # bounded: in practice the first or second order will do
                break
        if first is None:
            raise ValueError("the request pool holds no orders")
        m = meta[first]  # type: ignore[index]
        return self.path, bodies[first], who, inflight.add_order(*m) if inflight is not None and m else None

    def release(self, token: tuple) -> None:
        if self.inflight is not None:
            self.inflight.release(token)

    def request(self, i: int) -> tuple[str, bytes | None, int | None]:
        """Like :meth:`next`, for a caller that does not wait for answers in turn (no in-flight tracking)."""
        path, body, who, token = self.next(i)
        if token is not None:
            self.release(token)
        return path, body, who

    def header(self, who: int | None) -> bytes:
        return self.keys[who] if who is not None else b""


@dataclass
class RunState:
    model: str
    profile: Profile
    connections: int
    started_wall: float = 0.0
    t0: float = 0.0
    scheduled: int = 0
    sent: int = 0
    in_flight: int = 0
    behind: int = 0
    max_lag_s: float = 0.0
    outcomes: Outcomes = field(default_factory=Outcomes)
    intended: Latency = field(default_factory=Latency)
    actual: Latency = field(default_factory=Latency)
    seconds: dict[int, Second] = field(default_factory=dict)
    orders: dict[int, tuple[float, str, int]] = field(default_factory=dict)  # order_id -> (intended, symbol, seq)
    trade_ids: set[int] = field(default_factory=set)
    unsent: int = 0
    live: LiveOrders | None = None  # the tester's own resting orders, when the mix cancels
    cancels_sent: int = 0
    answered_in_window: int = 0   # responses (any status) that arrived before t0 + the profile's duration
    sent_after_window: int = 0    # sends that only went out once the window had closed
    # per account (index into the run's accounts): requests sent, cancels among them, answers 2xx and 4xx
    account_sent: list[int] = field(default_factory=list)
    account_cancels: list[int] = field(default_factory=list)
    account_accepted: list[int] = field(default_factory=list)
    account_rejected: list[int] = field(default_factory=list)

    def use_accounts(self, count: int) -> None:
        self.account_sent = [0] * count
        self.account_cancels = [0] * count
        self.account_accepted = [0] * count
        self.account_rejected = [0] * count

    @property
    def window_end(self) -> float:
        return self.t0 + self.profile.duration_s

    def second(self, t: float) -> Second:
        s = int(t - self.t0)
        row = self.seconds.get(s)
        if row is None:
            row = self.seconds[s] = Second(s, target=self.profile.rate_at(s + 0.5))
        return row


def _classify(state: RunState, status: int, body: bytes, row: Second, intended: float, track_orders: bool,
              live: LiveOrders | None, who: int | None = None) -> None:
    out = state.outcomes
    if 200 <= status < 300:
        out.accepted += 1
        row.accepted += 1
        if who is not None and who < len(state.account_accepted):
            state.account_accepted[who] += 1
        if track_orders or live is not None:
            try:
                data = json.loads(body)
            except ValueError:
                return
            if live is not None and "remaining_quantity" in data:  # an order's answer, not a cancel's
                live.learn(data, who or 0)
            if not track_orders:
                return
            oid = data.get("order_id")
            if oid is not None:
                bbo = data.get("bbo") or {}
                state.orders[oid] = (intended, data.get("symbol", ""), bbo.get("sequence", 0))
                for trade in data.get("trades", ()):
                    state.trade_ids.add(trade["trade_id"])
    elif status == 429:
        out.rate_limited += 1
        row.rate_limited += 1
    elif 400 <= status < 500:
        out.rejected += 1
        row.rejected += 1
        if who is not None and who < len(state.account_rejected):
            state.account_rejected[who] += 1
        try:
            code = json.loads(body).get("reason") or json.loads(body).get("error_code") or str(status)
        except (ValueError, AttributeError):
            code = str(status)
        out.reject_codes[code] = out.reject_codes.get(code, 0) + 1
    else:
        out.server_errors += 1
        row.errors += 1


async def _one(state: RunState, conn: HttpConnection, spec: RequestSpec, i: int, intended: float, track: bool) -> None:
    path, body, who, token = spec.next(i)
    if token is None:
        return await _exchange(state, conn, spec, path, body, who, intended, track)
    try:
        await _exchange(state, conn, spec, path, body, who, intended, track)
    finally:  # the answer (if any) is taken in: this request no longer races anything of ours
        spec.release(token)


async def _exchange(state: RunState, conn: HttpConnection, spec: RequestSpec, path: str, body: bytes | None,
                    who: int | None, intended: float, track: bool) -> None:
    loop = asyncio.get_running_loop()
    counted = who is not None and who < len(state.account_sent)
    if path != spec.path:
        state.cancels_sent += 1
        if counted:
            state.account_cancels[who] += 1  # type: ignore[index]
    raw = conn.build(spec.method, path, body, spec.header(who))
    sent_at: float | None = None
    try:
        await conn.send(raw)
        sent_at = loop.time()
        state.sent += 1
        if counted:
            state.account_sent[who] += 1  # type: ignore[index]
        state.in_flight += 1
        lag = sent_at - intended
        if lag > LATE_S and state.model == "open":
            state.behind += 1
            state.second(intended).behind += 1
        if sent_at >= state.window_end:
            state.sent_after_window += 1
        state.max_lag_s = max(state.max_lag_s, lag)
        state.second(sent_at).sent += 1
        try:
            status, answer = await conn.receive()
        finally:
            state.in_flight -= 1
    except asyncio.TimeoutError:
        # The request waited at least the timeout: it enters the histograms at what it
        # waited (never less than the timeout), so giving up cannot lower a percentile.
        now = loop.time()
        state.outcomes.timeouts += 1
        row = state.second(now)
        row.errors += 1
        waited = max(conn.timeout_s, now - intended)
        state.intended.record_s(waited)
        state.actual.record_s(max(conn.timeout_s, now - sent_at) if sent_at is not None else conn.timeout_s)
        row.latency.record_s(waited)
        return
    except (HttpError, OSError):
        state.outcomes.connection_errors += 1
        state.second(loop.time()).errors += 1
        await asyncio.sleep(0.01)  # do not spin on a dead server
        return
    done = loop.time()
    if done <= state.window_end:
        state.answered_in_window += 1
    row = state.second(done)
    row.completed += 1
    state.intended.record_s(done - intended)
    state.actual.record_s(done - sent_at)
    row.latency.record_s(done - intended)
    _classify(state, status, answer, row, intended, track and path == spec.path, spec.live, who)


async def run_open(state: RunState, base_url: str, spec: RequestSpec, timeout_s: float, track_orders: bool,
                   on_tick: Callable[[], None] | None = None, drain_s: float = 10.0) -> None:
    """Send on the profile's absolute schedule through ``state.connections`` connections.

    A request waits in a queue when every connection is busy; its latency still counts
    from its intended send time, so a stalled server cannot hide (no coordinated omission).
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    state.t0 = loop.time() + 0.05
    state.started_wall = time.time() + 0.05

    async def worker() -> None:
        conn = HttpConnection(base_url, timeout_s)
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                await _one(state, conn, spec, item[0], item[1], track_orders)
        finally:
            conn.close()

    async def scheduler() -> None:
        for i, offset in enumerate(state.profile.schedule()):
            intended = state.t0 + offset
            delay = intended - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((i, intended))
            state.scheduled += 1

    workers = [asyncio.create_task(worker()) for _ in range(state.connections)]
    ticker = asyncio.create_task(_ticker(state, queue, on_tick))
    await scheduler()
    for _ in workers:
        queue.put_nowait(None)
    done, pending = await asyncio.wait(workers, timeout=drain_s + timeout_s)
    for task in pending:
        task.cancel()
    state.unsent = sum(1 for _ in range(queue.qsize()))
    ticker.cancel()


async def run_closed(state: RunState, base_url: str, spec: RequestSpec, timeout_s: float, think_s: float,
                     track_orders: bool, on_tick: Callable[[], None] | None = None) -> None:
    """``state.connections`` users, each: send, wait for the answer, think, repeat."""
    loop = asyncio.get_running_loop()
    state.t0 = loop.time()
    state.started_wall = time.time()
    end = state.t0 + state.profile.duration_s
    counter = iter(range(10**12))

    async def user() -> None:
        conn = HttpConnection(base_url, timeout_s)
        try:
            while loop.time() < end:
                state.scheduled += 1
                await _one(state, conn, spec, next(counter), loop.time(), track_orders)
                if think_s > 0:
                    await asyncio.sleep(think_s)
        finally:
            conn.close()

    ticker = asyncio.create_task(_ticker(state, None, on_tick))
    await asyncio.wait([asyncio.create_task(user()) for _ in range(state.connections)], timeout=state.profile.duration_s + timeout_s + 5)
    ticker.cancel()


async def _ticker(state: RunState, queue: asyncio.Queue | None, on_tick: Callable[[], None] | None) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(0.25)
        row = state.second(loop.time())
        row.in_flight = max(row.in_flight, state.in_flight)
        row.queued = max(row.queued, queue.qsize() if queue is not None else 0)
        if on_tick is not None:
            on_tick()
