"""A real server process on a loopback port, real python-socketio clients over websocket."""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any, Iterator

import pytest
import requests
import socketio

from tests.servers import demo_key, running_server

NS = "/market"


class Recorder:
    """A python-socketio client that records every /market event it receives."""

    def __init__(self, url: str, api_key: str | None = None) -> None:
        self.events: dict[str, list[Any]] = defaultdict(list)
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        for name in ("connected", "l2_update", "trade", "order_event", "subscribed", "unsubscribed", "error", "pong"):
            self.client.on(name, self._handler(name), namespace=NS)
        self.client.connect(url, namespaces=[NS], transports=["websocket"], wait_timeout=10,
                            auth=None if api_key is None else {"api_key": api_key})

    def _handler(self, name: str):  # type: ignore[no-untyped-def]
        def handle(data: Any = None) -> None:
            with self.lock:
                self.events[name].append(data)
        return handle

    def subscribe(self, **sub: Any) -> None:
        n = len(self.events["subscribed"])
        self.client.emit("subscribe", sub, namespace=NS)
        self.wait_for(lambda: len(self.events["subscribed"]) > n)

    def wait_for(self, cond, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if cond():
                    return
            time.sleep(0.02)
        raise AssertionError(f"timed out; got {dict(self.events)}")

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture(scope="module", params=["eventlet", "threading"])
def server(request) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with running_server("--async-mode", request.param, "--l2-interval-ms", "50") as url:
        yield url


def post(url: str, key: str, **body: Any) -> dict:
    full = {"symbol": "BTC-USDT", "side": "buy", "order_type": "limit", "quantity": "0.1", "price": "30000"}
    full.update(body)
    r = requests.post(f"{url}/order", json=full, headers={"X-API-Key": key}, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def test_feeds_are_per_symbol_and_complete(server: str) -> None:
    # eth and btc are signed in as demo-1, which places the taker and the ETH orders below; other
    # is demo-2, which rests the maker: each private orders feed carries its own account's orders'
    # events only; idle has no key.
    key, other_key = demo_key(server, 0), demo_key(server, 1)
    eth, btc, idle = Recorder(server, key), Recorder(server, key), Recorder(server)
    other = Recorder(server, other_key)
    try:
        eth.wait_for(lambda: eth.events["connected"])
        other.wait_for(lambda: other.events["connected"])
        idle.wait_for(lambda: idle.events["connected"])
        with eth.lock, other.lock, idle.lock:
            assert eth.events["connected"][0]["account"]["name"] == "demo-1"
            assert other.events["connected"][0]["account"]["name"] == "demo-2"
            assert idle.events["connected"][0]["account"] is None
        for kind in ("l2_updates", "trades", "orders"):
            eth.subscribe(type=kind, symbol="ETH-USDT")
            btc.subscribe(type=kind, symbol="BTC-USDT")
        other.subscribe(type="orders")  # every symbol
        maker = post(server, other_key, side="sell", price="30100", quantity="0.3")  # demo-2 rests
        taker = post(server, key, side="buy", price="30100", quantity="0.1")  # demo-1 takes
        assert taker["status"] == "filled"
        btc.wait_for(lambda: btc.events["trade"] and len(
            [e for e in btc.events["order_event"] if e["event_type"] == "filled"]) >= 1)
        other.wait_for(lambda: len(
            [e for e in other.events["order_event"] if e["event_type"] == "partially_filled"]) >= 1)
        trade = btc.events["trade"][0]
        assert trade["maker_order_id"] == maker["order_id"] and trade["taker_order_id"] == taker["order_id"]
        with btc.lock, other.lock:
            by_order = {(e["order_id"], e["event_type"]) for e in btc.events["order_event"]}
            by_other = {(e["order_id"], e["event_type"]) for e in other.events["order_event"]}
        assert (taker["order_id"], "filled") in by_order and (maker["order_id"], "partially_filled") in by_other
        btc.wait_for(lambda: any(u["asks"] == [["30100.00", "0.20000000"]] for u in btc.events["l2_update"]))
        # another demo-2 order: its feed gets it; demo-1's BTC orders feed must not
        mine = post(server, other_key, side="buy", price="29000", quantity="0.1")
        other.wait_for(lambda: any(e["order_id"] == mine["order_id"] for e in other.events["order_event"]))
        # a burst of ETH orders: the ETH client sees only ETH, with growing sequences
        for i in range(30):
            post(server, key, symbol="ETH-USDT", side="buy", price=str(2000 + i), quantity="0.01")
        eth.wait_for(lambda: any(u["bids"] and u["bids"][0][0] == "2029.00" for u in eth.events["l2_update"]))
        time.sleep(0.3)
        with eth.lock, btc.lock, idle.lock, other.lock:
            assert all(u["symbol"] == "ETH-USDT" for u in eth.events["l2_update"])
            assert all(e["symbol"] == "ETH-USDT" for e in eth.events["order_event"])
            assert eth.events["trade"] == []
            assert all(u["symbol"] == "BTC-USDT" for u in btc.events["l2_update"])
            seqs = [u["sequence"] for u in eth.events["l2_update"]]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
            # conflation: 30 orders in a burst produced far fewer than 30 updates
            assert len(eth.events["l2_update"]) < 30
            order_seqs = [e["sequence"] for e in eth.events["order_event"]]
            assert order_seqs == sorted(order_seqs)
            assert set(idle.events) == {"connected"}
            # private: each account's orders feed carries its own orders' events only
            assert {e["order_id"] for e in other.events["order_event"]} == {maker["order_id"], mine["order_id"]}
            assert {e["order_id"] for e in btc.events["order_event"]} == {taker["order_id"]}
            assert all(e["order_id"] not in (maker["order_id"], mine["order_id"])
                       for e in btc.events["order_event"] + eth.events["order_event"])
    finally:
        for c in (eth, btc, idle, other):
            c.close()


def test_rest_and_ping_over_real_server(server: str) -> None:
    assert requests.get(f"{server}/health", timeout=5).json()["status"] == "healthy"
    bad = requests.post(f"{server}/order", data="{", timeout=5,
                        headers={"Content-Type": "application/json", "X-API-Key": demo_key(server)})
    assert bad.status_code == 400
    unsigned = requests.post(f"{server}/order", data="{", headers={"Content-Type": "application/json"}, timeout=5)
    assert unsigned.status_code == 401 and unsigned.json()["error_code"] == "UNAUTHENTICATED"
    assert unsigned.json()["reason"] == "API_KEY_REQUIRED" and unsigned.headers["WWW-Authenticate"].startswith("Bearer")
    page = requests.get(f"{server}/", timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    r = Recorder(server)
    try:
        r.client.emit("ping", {"timestamp": 42}, namespace=NS)
        r.wait_for(lambda: r.events["pong"])
        assert r.events["pong"][0]["client_timestamp"] == 42
    finally:
        r.close()


def test_bad_key_is_refused_at_connect(server: str) -> None:
    refused: list[Any] = []
    client = socketio.Client(reconnection=False)
    client.on("connect_error", lambda data=None: refused.append(data), namespace=NS)
    client.on("connected", lambda data=None: refused.append(("connected", data)), namespace=NS)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(server, namespaces=[NS], transports=["websocket"], wait_timeout=10,
                           auth={"api_key": "me_000000000000_not-a-valid-secret"})
        assert len(refused) == 1 and isinstance(refused[0], dict), refused
        # the reason travels with the refusal, in the shape the README shows: a message, and the
        # API's error body under "data" (the Socket.IO convention for ConnectionRefusedError(message, data))
        assert refused[0]["message"].startswith("the API key is not valid"), refused
        info = refused[0]["data"]
        assert info.get("error_code") == "UNAUTHENTICATED" and info.get("reason") == "INVALID_API_KEY", refused
        assert info.get("error"), refused
    finally:
        client.disconnect()
