"""Under fsync=always no trade, order event or book update is published before the journal holds it durably."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from api.feeds import subscription_room
from tests.test_durability import SYM, make_app, signed_in, stop


class Emits:
    """Stands in for the Socket.IO server: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def emit(self, name: str, payload: Any, namespace: str | None = None, to: Any = None) -> None:
        self.sent.append((name, payload))


def test_nothing_is_published_before_it_is_durable(tmp_path: Path) -> None:
    app = make_app(tmp_path)  # fsync=always, feed publishing driven by hand below
    c, buyer = signed_in(app, 0), signed_in(app, 1)  # demo-1 makes, demo-2 takes
    feed, store = app.extensions["me_feed"], app.extensions["me_store"]
    emits = Emits()
    feed.socketio = emits
    feed.interval_s = 0.0  # a book update is due at every publish
    accounts = [demo["account_id"] for demo in app.extensions["me_demo_keys"][:2]]  # both sides' private feeds
    for room in (f"trades:{SYM}", *(subscription_room("orders", SYM, a) for a in accounts), f"l2:{SYM}"):
        feed.joined("subscriber", room)
    assert c.post("/order", json={"symbol": SYM, "side": "sell", "order_type": "limit", "quantity": "0.5",
                                  "price": "30000"}).status_code == 200
    feed.publish_pending()
    before = len(emits.sent)
    assert before >= 2  # the maker's order event and a book snapshot: durable, so published

    release = threading.Event()
    real_write = store._write_locked

    def slow_write(*args: Any) -> None:
        release.wait(10)  # the disk is slow: the commit has not happened yet
        real_write(*args)

    store._write_locked = slow_write
    answers: list[int] = []
    taker = threading.Thread(target=lambda: answers.append(buyer.post("/order", json={
        "symbol": SYM, "side": "buy", "order_type": "market", "quantity": "0.2"}).status_code))
    taker.start()
    deadline = time.monotonic() + 5
    while store.next_lsn - 1 <= store.durable_lsn and time.monotonic() < deadline:
        time.sleep(0.01)  # the taker has executed and is waiting for its commit
    assert store.next_lsn - 1 > store.durable_lsn
    for _ in range(3):
        feed.publish_pending()
    assert emits.sent[before:] == [], emits.sent[before:]  # no trade, order event or book update yet
    assert feed.snapshot(SYM, wait_s=0.1) is None
    assert not answers  # nor the answer
    release.set()
    taker.join(10)
    assert answers == [200]
    feed.publish_pending()
    names = [name for name, _ in emits.sent[before:]]
    assert "trade" in names and "order_event" in names and "l2_update" in names, names
    trade = next(p for n, p in emits.sent[before:] if n == "trade")
    assert (trade["price"], trade["quantity"]) == ("30000.00", "0.20000000")
    store._write_locked = real_write
    stop(app)


def test_a_busy_symbol_does_not_hold_back_another_symbols_book(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    c = signed_in(app)
    feed, store = app.extensions["me_feed"], app.extensions["me_store"]
    feed.socketio = emits = Emits()
    feed.interval_s = 0.0
    feed.joined("subscriber", "l2:ETH-USDT")
    assert c.post("/order", json={"symbol": "ETH-USDT", "side": "sell", "order_type": "limit", "quantity": "1",
                                  "price": "3000"}).status_code == 200
    release = threading.Event()
    real_write = store._write_locked

    def slow_write(*args: Any) -> None:
        release.wait(10)
        real_write(*args)

    store._write_locked = slow_write
    busy = threading.Thread(target=lambda: c.post("/order", json={
        "symbol": SYM, "side": "sell", "order_type": "limit", "quantity": "0.1", "price": "30000"}))
    busy.start()
    deadline = time.monotonic() + 5
    while store.next_lsn - 1 <= store.durable_lsn and time.monotonic() < deadline:
        time.sleep(0.01)
    feed.publish_pending()  # BTC-USDT's record is not durable yet; ETH-USDT's book is, and goes out
    books = [p for n, p in emits.sent if n == "l2_update"]
    assert books and books[-1]["symbol"] == "ETH-USDT" and books[-1]["asks"] == [["3000.00", "1.00000000"]]
    release.set()
    busy.join(10)
    store._write_locked = real_write
    stop(app)


import pytest  # noqa: E402


@pytest.mark.parametrize("mode", ["eventlet", "threading"])
def test_a_book_subscriber_does_not_stall_a_durable_server(tmp_path: Path, mode: str) -> None:
    """The default server (fsync=always) with a book subscriber: an order is answered, the subscriber gets the
    book, and the server keeps answering (a book update waiting for its commit must not spin the publisher)."""
    import requests
    import socketio

    from tests.servers import running_server, signed_in as session_for

    with running_server("--data-dir", str(tmp_path), "--async-mode", mode) as url:
        books: list[Any] = []
        client = socketio.Client(reconnection=False)
        client.on("l2_update", books.append, namespace="/market")
        client.connect(url, namespaces=["/market"], transports=["websocket"], wait_timeout=10)
        try:
            client.emit("subscribe", {"type": "l2_updates", "symbol": SYM}, namespace="/market")
            deadline = time.monotonic() + 10
            while not books and time.monotonic() < deadline:
                time.sleep(0.05)
            assert books, "no snapshot on subscribing"
            seller = session_for(url, 0)
            for i in range(5):
                r = seller.post(f"{url}/order", json={"symbol": SYM, "side": "sell", "order_type": "limit",
                                                       "quantity": "0.1", "price": f"{30000 + i}"}, timeout=5)
                assert r.status_code == 200, r.text
                assert requests.get(f"{url}/health", timeout=5).status_code == 200
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(len(b["asks"]) == 5 for b in books):
                time.sleep(0.05)
            assert any(len(b["asks"]) == 5 for b in books), books[-1]
        finally:
            client.disconnect()
