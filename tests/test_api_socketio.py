"""The /market namespace through Flask-SocketIO's test client; publishing driven by hand."""
from __future__ import annotations

import pytest

from api.extensions import socketio_of
from tests.conftest import demo_key

NS = "/market"


def events(sio_client, name: str | None = None) -> list:  # type: ignore[no-untyped-def]
    """The events received since the last call: those named ``name``, or (None) every one but the private
    ``account`` balance events, which a signed-in client gets whatever it subscribed to."""
    got = sio_client.get_received(NS)
    return [e for e in got if e["name"] == name or (name is None and e["name"] != "account")]


def publish(app) -> None:  # type: ignore[no-untyped-def]
    feed = app.extensions["me_feed"]
    feed._last_l2.clear()  # the test decides when an interval has passed
    feed.publish_pending()


def connect(app, client, key):  # type: ignore[no-untyped-def]
    return socketio_of(app).test_client(app, namespace=NS, flask_test_client=client,
                                        auth=None if key is None else {"api_key": key})


@pytest.fixture
def sio(app, client):  # type: ignore[no-untyped-def]
    """A /market client signed in as demo-1 (the account ``client`` places orders for)."""
    c = connect(app, client, demo_key(app))
    assert c.is_connected(NS)
    yield c
    if c.is_connected(NS):
        c.disconnect(NS)


@pytest.fixture
def anon(app, client):  # type: ignore[no-untyped-def]
    """A /market client that connected without a key."""
    c = connect(app, client, None)
    assert c.is_connected(NS)
    yield c
    if c.is_connected(NS):
        c.disconnect(NS)


@pytest.fixture
def client2(app):  # type: ignore[no-untyped-def]
    """An HTTP test client signed in as demo-2."""
    c = app.test_client()
    c.environ_base["HTTP_X_API_KEY"] = demo_key(app, 1)
    return c


def post(client, **body):  # type: ignore[no-untyped-def]
    full = {"symbol": "BTC-USDT", "side": "buy", "order_type": "limit", "quantity": "0.1", "price": "30000"}
    full.update(body)
    r = client.post("/order", json=full)
    assert r.status_code == 200, r.json
    return r.json


def test_connected_event(app, sio, anon) -> None:  # type: ignore[no-untyped-def]
    connected = events(sio, "connected")
    assert len(connected) == 1
    data = connected[0]["args"][0]
    assert data["status"] == "connected" and data["session_id"] and "BTC-USDT" in data["symbols"]
    me = app.extensions["me_demo_keys"][0]
    assert data["account"] == {"account_id": me["account_id"], "name": "demo-1"}
    unsigned = events(anon, "connected")
    assert len(unsigned) == 1 and unsigned[0]["args"][0]["account"] is None


@pytest.mark.parametrize("auth", [{"api_key": "me_000000000000_not-a-secret"}, {"api_key": "garbage"},
                                  {"api_key": 12345}, {"api_key": ""}])
def test_bad_key_is_refused_at_connect(app, client, auth) -> None:  # type: ignore[no-untyped-def]
    c = socketio_of(app).test_client(app, namespace=NS, flask_test_client=client, auth=auth)
    assert not c.is_connected(NS)
    assert [e["name"] for e in c.queue] == []  # no "connected" event: refused before it
    assert "socketio_connected_clients 0.0" in client.get("/metrics").data.decode()
    good = connect(app, client, demo_key(app))  # the same way with a valid key connects
    assert good.is_connected(NS) and events(good, "connected")
    good.disconnect(NS)


def test_subscribe_snapshot_then_conflated_updates(app, client, sio) -> None:  # type: ignore[no-untyped-def]
    events(sio)
    sio.emit("subscribe", {"type": "l2_updates", "symbol": "BTC-USDT"}, namespace=NS)
    got = events(sio)
    assert [e["name"] for e in got] == ["l2_update", "subscribed"]
    assert got[0]["args"][0]["bids"] == [] and got[1]["args"][0] == {"type": "l2_updates", "symbol": "BTC-USDT"}
    for i in range(20):  # a burst: one emit
        post(client, price=str(29000 + i))
    publish(app)
    updates = events(sio, "l2_update")
    assert len(updates) == 1
    snap = updates[0]["args"][0]
    assert len(snap["bids"]) == 10 and snap["bids"][0] == ["29019.00", "0.10000000"] and snap["sequence"] == 40
    publish(app)
    assert events(sio, "l2_update") == []  # nothing changed, nothing sent


def test_unsubscribed_client_receives_nothing(app, client, client2, sio) -> None:  # type: ignore[no-untyped-def]
    events(sio)
    post(client2, side="sell")  # demo-2 rests, demo-1 (sio's account) takes it: a trade
    assert post(client, side="buy")["status"] == "filled"
    publish(app)
    assert events(sio) == []


def test_rooms_are_per_symbol(app, client, client2, sio) -> None:  # type: ignore[no-untyped-def]
    other = connect(app, client2, demo_key(app, 1))  # demo-2, the maker's account
    assert other.is_connected(NS)
    for c in (sio, other):
        for kind in ("l2_updates", "trades", "orders"):
            c.emit("subscribe", {"type": kind, "symbol": "ETH-USDT"}, namespace=NS)
        events(c)
    post(client2, side="sell")  # demo-2 rests, demo-1 takes it: a BTC-USDT trade
    assert post(client, side="buy")["status"] == "filled"
    publish(app)
    assert events(sio) == [] and events(other) == []
    maker = post(client2, symbol="ETH-USDT", side="sell", price="2000", quantity="1")
    taker = post(client, symbol="ETH-USDT", side="buy", price="2000", quantity="1")
    publish(app)
    got = events(sio)
    theirs = events(other)
    for received in (got, theirs):  # the public streams reach both
        names = [e["name"] for e in received]
        assert names.count("trade") == 1 and names.count("l2_update") == 1
        assert all(e["args"][0]["symbol"] == "ETH-USDT" for e in received)
    for received, placed in ((got, taker), (theirs, maker)):  # each its own order's events
        own = [e["args"][0] for e in received if e["name"] == "order_event"]
        assert {e["event_type"] for e in own} >= {"accepted", "filled"}
        assert {e["order_id"] for e in own} == {placed["order_id"]}
    # both the maker and the taker get an order_event for the fill, each on its own account's feed
    fills = [(e["args"][0]["order_id"], e["args"][0]["is_maker"]) for e in got + theirs
             if e["name"] == "order_event" and e["args"][0]["event_type"] == "filled"]
    assert sorted(fills, key=lambda f: f[1]) == [(taker["order_id"], False), (maker["order_id"], True)]
    other.disconnect(NS)


def test_trades_for_all_symbols_and_unsubscribe(app, client, client2, sio) -> None:  # type: ignore[no-untyped-def]
    sio.emit("subscribe", {"type": "trades"}, namespace=NS)
    assert events(sio, "subscribed")[0]["args"][0] == {"type": "trades", "symbol": None}
    post(client2, side="sell")  # demo-2 rests, demo-1 takes: trades between two accounts
    post(client, side="buy")
    post(client2, symbol="ETH-USDT", side="sell", price="2000", quantity="1")
    post(client, symbol="ETH-USDT", side="buy", price="2000", quantity="1")
    publish(app)
    assert sorted(e["args"][0]["symbol"] for e in events(sio, "trade")) == ["BTC-USDT", "ETH-USDT"]
    sio.emit("unsubscribe", {"type": "trades"}, namespace=NS)
    assert events(sio, "unsubscribed")
    post(client2, side="sell")
    assert post(client, side="buy")["status"] == "filled"  # a trade happened, and was not sent
    publish(app)
    assert events(sio, "trade") == []


@pytest.mark.parametrize("payload", [None, "BTC-USDT", 5, [], {"type": "candles", "symbol": "BTC-USDT"},
                                     {"type": "l2_updates"}, {"type": "l2_updates", "symbol": "<b>x</b>"},
                                     {"type": "orders", "symbol": 7}])
def test_bad_subscriptions_get_error_and_stay_connected(sio, payload) -> None:  # type: ignore[no-untyped-def]
    events(sio)
    sio.emit("subscribe", payload, namespace=NS)
    errs = events(sio, "error")
    assert len(errs) == 1 and errs[0]["args"][0]["error_code"] == "SUBSCRIPTION_ERROR"
    assert sio.is_connected(NS)
    sio.emit("ping", {"timestamp": 123}, namespace=NS)
    pong = events(sio, "pong")
    assert pong and pong[0]["args"][0]["client_timestamp"] == 123


def test_connected_gauge(app, client, sio) -> None:  # type: ignore[no-untyped-def]
    assert "socketio_connected_clients 1.0" in client.get("/metrics").data.decode()
    sio.disconnect(NS)
    assert "socketio_connected_clients 0.0" in client.get("/metrics").data.decode()


def test_orders_feed_needs_a_key(app, client, client2, anon) -> None:  # type: ignore[no-untyped-def]
    events(anon)
    for sub in ({"type": "orders", "symbol": "BTC-USDT"}, {"type": "orders"}):
        anon.emit("subscribe", sub, namespace=NS)
        errs = events(anon)
        assert [e["name"] for e in errs] == ["error"]
        assert errs[0]["args"][0]["error_code"] == "UNAUTHENTICATED" and errs[0]["args"][0]["reason"] == "API_KEY_REQUIRED"
    assert anon.is_connected(NS)
    post(client2, side="sell")  # demo-2 rests, demo-1 takes it: a trade
    assert post(client, side="buy")["status"] == "filled"
    publish(app)
    assert events(anon) == []  # it joined no room
    anon.emit("subscribe", {"type": "trades", "symbol": "BTC-USDT"}, namespace=NS)  # trades stay public
    assert events(anon, "subscribed")[0]["args"][0] == {"type": "trades", "symbol": "BTC-USDT"}
    post(client2, side="sell")
    post(client, side="buy")
    publish(app)
    assert [e["name"] for e in events(anon)] == ["trade"]


def test_orders_feed_is_private(app, client, client2, sio) -> None:  # type: ignore[no-untyped-def]
    other = connect(app, client2, demo_key(app, 1))
    assert other.is_connected(NS)
    sio.emit("subscribe", {"type": "orders", "symbol": "BTC-USDT"}, namespace=NS)
    other.emit("subscribe", {"type": "orders"}, namespace=NS)  # every symbol
    assert events(sio, "subscribed")[-1]["args"][0] == {"type": "orders", "symbol": "BTC-USDT"}
    assert events(other, "subscribed")[-1]["args"][0] == {"type": "orders", "symbol": None}
    events(sio)
    events(other)
    # demo-2 rests a sell, demo-1 takes it: each feed gets its own side of the fill only
    maker = post(client2, side="sell")
    taker = post(client, side="buy")
    lone = post(client2, symbol="ETH-USDT", side="buy", price="2000", quantity="1")
    publish(app)
    mine = [e["args"][0] for e in events(sio)]
    theirs = [e["args"][0] for e in events(other)]
    assert mine and {e["order_id"] for e in mine} == {taker["order_id"]}
    assert {e["order_id"] for e in theirs} == {maker["order_id"], lone["order_id"]}
    assert [(e["event_type"], e["is_maker"]) for e in mine if e["event_type"] == "filled"] == [("filled", False)]
    assert [(e["event_type"], e["is_maker"]) for e in theirs if e["event_type"] == "filled"] == [("filled", True)]
    other.disconnect(NS)
