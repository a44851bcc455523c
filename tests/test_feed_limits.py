"""Limits on /market clients (api/feed_limits.py): the subscribe rate, the largest message, and a
subscriber that stops reading among ones that read, over real loopback sockets."""
from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any, Iterator

import pytest
import requests
import websocket

from api.extensions import socketio_of
from api.feed_limits import SubscribeRate, check_internals
from tests.conftest import demo_key
from tests.servers import running_server, signed_in

NS = "/market"
SELL = {"symbol": "BTC-USDT", "side": "sell", "order_type": "limit", "quantity": "0.01", "price": "20000.00"}
BUY = {**SELL, "side": "buy"}


# ---- the subscribe rate ------------------------------------------------------------------------

def test_subscribe_rate_is_a_token_bucket() -> None:
    now = [100.0]
    rate = SubscribeRate(5, clock=lambda: now[0])
    assert [rate.allow("a") for _ in range(6)] == [True] * 5 + [False]
    assert rate.allow("b")  # per connection
    now[0] += 0.2  # one token back
    assert rate.allow("a") and not rate.allow("a")
    now[0] += 60
    assert sum(rate.allow("a") for _ in range(10)) == 5  # never more than one burst saved up
    rate.forget("a")
    assert "a" not in rate._buckets


def test_a_subscribe_flood_is_limited_without_affecting_another_connection(app, client) -> None:  # type: ignore[no-untyped-def]
    flooder = socketio_of(app).test_client(app, namespace=NS, flask_test_client=client)
    other = socketio_of(app).test_client(app, namespace=NS, flask_test_client=client)
    flooder.get_received(NS)
    other.get_received(NS)
    rate = app.config["WS_SUBSCRIBE_RATE"]
    for i in range(200):
        kind = "subscribe" if i % 2 == 0 else "unsubscribe"
        flooder.emit(kind, {"type": "trades", "symbol": "BTC-USDT"}, namespace=NS)
    got = flooder.get_received(NS)
    answered = [e for e in got if e["name"] in ("subscribed", "unsubscribed")]
    refused = [e["args"][0] for e in got if e["name"] == "error"]
    assert rate <= len(answered) <= rate + 2  # the burst, and what refilled while the loop ran
    assert len(refused) == 200 - len(answered)
    assert {r["error_code"] for r in refused} == {"RATE_LIMITED"} and {r["reason"] for r in refused} == {"TOO_MANY_SUBSCRIPTIONS"}
    assert flooder.is_connected(NS)
    other.emit("subscribe", {"type": "trades", "symbol": "BTC-USDT"}, namespace=NS)
    assert [e["name"] for e in other.get_received(NS)] == ["subscribed"]
    seller = app.test_client()  # demo-2 rests the sell, demo-1 (client) takes it: a trade between two accounts
    seller.environ_base["HTTP_X_API_KEY"] = demo_key(app, 1)
    assert seller.post("/order", json=SELL).json["status"] == "pending"
    assert client.post("/order", json=BUY).json["status"] == "filled"
    app.extensions["me_feed"].publish_pending()
    assert [e["name"] for e in other.get_received(NS)] == ["trade"]
    assert "socketio_subscribe_rate_limited_total %.1f" % len(refused) in client.get("/metrics").data.decode()


def test_the_engineio_internals_read_are_there(app) -> None:  # type: ignore[no-untyped-def]
    check_internals(socketio_of(app).server)  # raises with a clear message outside the tested range


# ---- real server, raw Engine.IO over WebSocket ----------------------------------------------

class MarketClient:
    """A /market client speaking Engine.IO 4 / Socket.IO 5 over one WebSocket."""

    def __init__(self, port: int, recv_buffer: int | None = None) -> None:
        options = [(socket.SOL_SOCKET, socket.SO_RCVBUF, recv_buffer)] if recv_buffer else None
        self.ws = websocket.WebSocket(sockopt=options)
        self.ws.connect(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=5)
        assert self.ws.recv().startswith("0")
        self.ws.send("40/market,")
        while self.event()[0] != "connected":
            pass

    def emit(self, name: str, data: Any) -> None:
        self.ws.send("42/market," + json.dumps([name, data]))

    def event(self) -> tuple[str, Any]:
        """The next event; Engine.IO pings are answered on the way."""
        while True:
            frame = self.ws.recv()
            if frame == "2":
                self.ws.send("3")
            elif frame.startswith("42/market,"):
                name, *args = json.loads(frame[len("42/market,"):])
                return name, args[0] if args else None


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    with running_server("--ws-max-pending", "100", "--ws-max-message-bytes", "4096",
                        "--ws-send-buffer-bytes", "16384") as url:
        yield url, int(url.rsplit(":", 1)[1])


def test_a_message_over_the_size_limit_closes_the_connection(server) -> None:  # type: ignore[no-untyped-def]
    _, port = server
    client = MarketClient(port)
    client.emit("ping", {"timestamp": "x" * 3000})
    assert client.event()[0] == "pong"
    client.emit("ping", {"timestamp": "x" * 5000})
    try:
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
            for _ in range(10):
                client.event()
    finally:
        client.ws.close()


def _trade_latencies(url: str, readers: list[MarketClient], trades: int) -> list[float]:
    """Seconds from sending each taker order to the last reader getting its trade."""
    arrivals: list[list[float]] = [[] for _ in readers]

    def read(i: int, reader: MarketClient) -> None:
        while len(arrivals[i]) < trades:
            name, _ = reader.event()
            if name == "trade":
                arrivals[i].append(time.monotonic())

    threads = [threading.Thread(target=read, args=(i, r), daemon=True) for i, r in enumerate(readers)]
    for t in threads:
        t.start()
    sent: list[float] = []
    # demo-1 rests each sell, demo-2 takes it: trades between two accounts
    with signed_in(url, 0) as maker, signed_in(url, 1) as taker:
        for n in range(trades):
            assert maker.post(f"{url}/order", json=SELL, timeout=5).status_code == 200
            sent.append(time.monotonic())
            assert taker.post(f"{url}/order", json=BUY, timeout=5).status_code == 200
            deadline = time.monotonic() + 5
            while any(len(a) <= n for a in arrivals) and time.monotonic() < deadline:
                time.sleep(0.0005)
    for t in threads:
        t.join(timeout=5)
    assert all(len(a) == trades for a in arrivals), [len(a) for a in arrivals]
    return [max(a[n] for a in arrivals) - sent[n] for n in range(trades)]


def _p99(values: list[float]) -> float:
    return sorted(values)[int(0.99 * len(values))]


def _metric(url: str, name: str) -> float:
    for line in requests.get(f"{url}/metrics", timeout=5).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_a_subscriber_that_stops_reading_is_dropped_and_delays_nobody(server) -> None:  # type: ignore[no-untyped-def]
    url, port = server
    readers = [MarketClient(port) for _ in range(3)]
    try:
        _check_slow_consumer(url, port, readers)
    finally:
        for reader in readers:
            reader.ws.close()


def _check_slow_consumer(url: str, port: int, readers: list[MarketClient]) -> None:
    for reader in readers:
        reader.emit("subscribe", {"type": "trades", "symbol": "BTC-USDT"})
        assert reader.event()[0] == "subscribed"
    baseline = _trade_latencies(url, readers, 150)

    stalled = MarketClient(port, recv_buffer=4096)
    try:
        stalled.emit("subscribe", {"type": "trades"})
        stalled.emit("subscribe", {"type": "l2_updates", "symbol": "BTC-USDT"})
        time.sleep(0.2)  # from here on it reads nothing
        dropped_before = _metric(url, "socketio_slow_consumers_disconnected_total")
        clients_before = _metric(url, "socketio_connected_clients")
        with_stalled = _trade_latencies(url, readers, 400)
    finally:
        stalled.ws.close()
    deadline = time.monotonic() + 5
    while _metric(url, "socketio_slow_consumers_disconnected_total") == dropped_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _metric(url, "socketio_slow_consumers_disconnected_total") == dropped_before + 1
    assert _metric(url, "socketio_connected_clients") == clients_before - 1
    # 2x of the run without it; under 10 ms both are noise on a shared machine
    assert _p99(with_stalled) <= 2 * max(_p99(baseline), 0.010), (_p99(baseline), _p99(with_stalled))


def test_a_dependency_outside_its_tested_range_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    import api.versions

    monkeypatch.setattr(api.versions, "version", lambda name: "5.1.0")
    with pytest.raises(RuntimeError, match=r"python-engineio 5\.1\.0 is outside the range api/feed_limits\.py"):
        api.versions.require_tested("python-engineio", (4, 9), (5, 0), "api/feed_limits.py", "its Socket.queue")
    monkeypatch.setattr(api.versions, "version", lambda name: "4.12.1")
    api.versions.require_tested("python-engineio", (4, 9), (5, 0), "api/feed_limits.py", "its Socket.queue")
