"""Two apps in one process share nothing: each has its own Socket.IO server, limiter storage, feed and engine."""
from __future__ import annotations

from api import create_app
from api.extensions import socketio_of
from tests.conftest import demo_key

NS = "/market"
SYM = "BTC-USDT"
SELL = {"symbol": SYM, "side": "sell", "order_type": "limit", "quantity": "0.1", "price": "30000"}
BUY = {"symbol": SYM, "side": "buy", "order_type": "market", "quantity": "0.1"}


def app_with_limit():  # type: ignore[no-untyped-def]
    return create_app({"ASYNC_MODE": "threading", "FEED_ENABLED": False, "LOG_LEVEL": "WARNING",
                       "RATE_LIMIT": "6 per minute", "RATE_LIMIT_ENABLED": True})


def signed_in(app, index: int = 0):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base["HTTP_X_API_KEY"] = demo_key(app, index)  # the app's own demo-1 (0) or demo-2 (1)
    return client


def test_a_second_app_takes_nothing_from_the_first() -> None:
    a = app_with_limit()
    ca, ca_buyer = signed_in(a), signed_in(a, 1)  # A's demo-1 sells, A's demo-2 buys from it
    sub = socketio_of(a).test_client(a, namespace=NS, flask_test_client=ca)
    sub.emit("subscribe", {"type": "trades", "symbol": SYM}, namespace=NS)
    sub.get_received(NS)

    b = app_with_limit()  # built after A's subscriber connected
    cb = signed_in(b)
    assert socketio_of(a) is not socketio_of(b)
    assert a.extensions["matching_engine"] is not b.extensions["matching_engine"]

    assert ca.post("/order", json=SELL).status_code == 200
    assert ca_buyer.post("/order", json=BUY).status_code == 200
    a.extensions["me_feed"].publish_pending()
    trades = [e["args"][0] for e in sub.get_received(NS) if e["name"] == "trade"]
    assert [(t["price"], t["quantity"]) for t in trades] == [("30000.00", "0.10000000")]
    assert cb.get(f"/book/{SYM}").json["asks"] == [] and cb.get("/statistics").json["total_trades"] == 0

    # limits are counted apart (per account): B's demo-1 gets its own 6 a minute, and A's demo-1 and demo-2
    # still have the 5 each did not use
    assert [cb.post("/order", json=SELL).status_code for _ in range(7)] == [200] * 6 + [429]
    assert [ca.post("/order", json=SELL).status_code for _ in range(6)] == [200] * 5 + [429]
    assert [ca_buyer.post("/order", json=SELL).status_code for _ in range(6)] == [200] * 5 + [429]
    sub.disconnect(namespace=NS)
    for app in (a, b):
        app.extensions["me_feed"].stop()
