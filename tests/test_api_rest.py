"""REST contract through app.test_client()."""
from __future__ import annotations

from decimal import Decimal

import pytest

SYM = "BTC-USDT"


@pytest.fixture
def client2(app):  # type: ignore[no-untyped-def]
    """A test client signed in as the second demo account (demo-2): the other side of a trade."""
    from tests.conftest import demo_key

    c = app.test_client()
    c.environ_base["HTTP_X_API_KEY"] = demo_key(app, 1)
    return c


def order(client, **fields):  # type: ignore[no-untyped-def]
    body = {"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.1", "price": "30000"}
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not ...}
    return client.post("/order", json=body)


def test_health_symbols_and_docs(client) -> None:  # type: ignore[no-untyped-def]
    h = client.get("/health")
    assert h.status_code == 200 and h.json["status"] == "healthy" and SYM in h.json["symbols"]
    listing = client.get("/symbols").json
    assert listing["symbols"] == ["BTC-USDT", "ETH-USDT", "BNB-USDT", "SOL-USDT"] and listing["count"] == 4
    assert set(listing["symbol_info"]) == set(listing["symbols"])
    syms = listing["symbol_info"]
    assert syms[SYM]["tick_size"] == "0.01" and syms[SYM]["min_quantity"] == "0.00001"
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/order" in spec["paths"] and "/trades/{symbol}" in spec["paths"]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["Bearer"]["scheme"] == "bearer" and schemes["AdminKey"]["name"] == "X-Admin-Key"
    private = [("/order", "post"), ("/cancel", "post"), ("/order/{order_id}", "get"),
               ("/order/client/{client_order_id}", "get"), ("/orders", "get"), ("/fills", "get"), ("/account", "get"),
               ("/account/self-trade-prevention", "post")]
    for path, method in private:  # an account's key, and its 401 documented
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"ApiKey": []}, {"Bearer": []}] and "401" in operation["responses"], path
    admin = [(path, method) for path, item in spec["paths"].items() if path.startswith("/admin/") for method in item]
    assert len(admin) == 10 and all(spec["paths"][p][m]["security"] == [{"AdminKey": []}] for p, m in admin)
    public = {"/health", "/symbols", "/book/{symbol}", "/bbo/{symbol}", "/trades/{symbol}", "/statistics", "/demo/keys"}
    assert all("security" not in spec["paths"][p]["get"] for p in public)
    assert set(spec["paths"]) == {p for p, _ in private} | {p for p, _ in admin} | public
    with client.get("/docs") as docs:
        assert docs.status_code == 200 and b"openapi.json" in docs.data


def test_order_lifecycle(client, client2) -> None:  # type: ignore[no-untyped-def]
    maker = order(client2, side="sell", quantity="0.5", client_order_id="m1")  # demo-2 rests
    assert maker.status_code == 200 and maker.json["status"] == "pending"
    taker = order(client, side="buy", quantity="0.2", price=Decimal("30000.00"))  # demo-1 takes
    assert taker.status_code == 200 and taker.json["status"] == "filled"
    trade = taker.json["trades"][0]
    assert trade["maker_order_id"] == maker.json["order_id"] and trade["price"] == "30000.00"
    st = client2.get(f"/order/{maker.json['order_id']}?symbol={SYM}")
    assert st.status_code == 200 and st.json["status"] == "partially_filled"
    assert client2.get(f"/order/{maker.json['order_id']}").json["remaining_quantity"] == "0.30000000"
    book = client.get(f"/book/{SYM}?levels=5").json
    assert book["asks"] == [["30000.00", "0.30000000"]] and book["bids"] == [] and book["sequence"] > 0
    bbo = client.get(f"/bbo/{SYM}").json
    assert bbo["ask"] == "30000.00" and bbo["bid"] is None
    trades = client.get(f"/trades/{SYM}").json["trades"]
    assert [t["trade_id"] for t in trades] == [trade["trade_id"]]
    c = client2.post("/cancel", json={"symbol": SYM, "client_order_id": "m1"})
    assert c.status_code == 200 and c.json["status"] == "cancelled"
    again = client2.post("/cancel", json={"symbol": SYM, "order_id": str(maker.json["order_id"])})
    assert again.status_code == 404 and again.json["success"] is False and again.json["reason"] == "ORDER_NOT_LIVE"
    stats = client.get("/statistics").json
    assert stats["total_trades"] == 1 and stats["symbols"][SYM]["trade_count"] == 1
    assert client.get(f"/statistics?symbol={SYM}").json["volume"] == "0.20000000"


def test_trades_newest_first_and_paging(client, client2) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        order(client2, side="sell", price=str(30000 + i))  # demo-2 rests, demo-1 takes
    for _ in range(5):
        order(client, side="buy", order_type="market", price=...)
    page1 = client.get(f"/trades/{SYM}?limit=3").json["trades"]
    ids = [t["trade_id"] for t in page1]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    page2 = client.get(f"/trades/{SYM}?limit=3&before={ids[-1]}").json["trades"]
    assert [t["trade_id"] for t in page2] == [ids[-1] - 1, ids[-1] - 2]


def test_fok_not_fillable_is_200_rejected(client) -> None:  # type: ignore[no-untyped-def]
    r = order(client, side="sell", order_type="fok", quantity="1")
    assert r.status_code == 200 and r.json["status"] == "rejected" and r.json["reject_reason"] == "FOK_NOT_FILLABLE"


@pytest.mark.parametrize(
    "path, status",
    [("/book/XYZ", 404), ("/bbo/XYZ", 404), ("/trades/XYZ", 404), ("/statistics?symbol=XYZ", 404),
     ("/order/123456", 404), ("/order/abc", 404), ("/order/1?symbol=XYZ", 404), ("/nowhere", 404),
     (f"/book/{SYM}?levels=0", 400), (f"/book/{SYM}?levels=101", 400), (f"/book/{SYM}?levels=abc", 400),
     (f"/trades/{SYM}?limit=0", 400), (f"/trades/{SYM}?limit=1e3", 400), (f"/trades/{SYM}?before=-1", 400),
     ("/app/../api/app.py", 404), ("/app/..%2fpyproject.toml", 404), ("/docs/..%2f..%2fpyproject.toml", 404)],
)
def test_get_errors(client, path: str, status: int) -> None:  # type: ignore[no-untyped-def]
    r = client.get(path)
    assert r.status_code == status
    assert r.is_json and {"error", "error_code", "reason"} <= set(r.json)
    assert b"build-system" not in r.data


def test_method_not_allowed(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/order").status_code == 405
    r = client.put(f"/book/{SYM}")
    assert r.status_code == 405 and r.json["error_code"] == "METHOD_NOT_ALLOWED"


def test_rate_limit_429_with_retry_after() -> None:
    from api import create_app

    app = create_app({"ASYNC_MODE": "threading", "FEED_ENABLED": False, "RATE_LIMIT": "5 per minute", "LOG_LEVEL": "WARNING"})
    c = app.test_client()
    codes = [c.get(f"/bbo/{SYM}").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    r = c.get(f"/bbo/{SYM}")
    assert r.json["error_code"] == "RATE_LIMITED" and 1 <= int(r.headers["Retry-After"]) <= 61
    assert c.get("/health").status_code == 200  # exempt
    app.extensions["me_feed"].stop()


def test_create_app_is_isolated_and_writes_nothing(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from api import create_app

    monkeypatch.chdir(tmp_path)
    a = create_app({"ASYNC_MODE": "threading", "FEED_ENABLED": False})
    b = create_app({"ASYNC_MODE": "threading", "FEED_ENABLED": False, "SYMBOLS": "forex"})
    assert a.extensions["matching_engine"] is not b.extensions["matching_engine"]
    assert a.config["SECRET_KEY"] != b.config["SECRET_KEY"] and len(a.config["SECRET_KEY"]) >= 32
    assert b.test_client().get("/health").json["symbols"] == ["EUR-USD", "GBP-USD", "USD-JPY"]
    assert list(tmp_path.iterdir()) == []
    for x in (a, b):
        x.extensions["me_feed"].stop()


def test_config_from_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from api.config import load_config

    monkeypatch.setenv("ME_SYMBOLS", "forex")
    monkeypatch.setenv("ME_L2_INTERVAL_MS", "250")
    cfg = load_config({"PORT": "6001"})
    assert cfg["SYMBOLS"] == "forex" and cfg["L2_INTERVAL_MS"] == 250 and cfg["PORT"] == 6001
    with pytest.raises(ValueError):
        load_config({"ASYNC_MODE": "gevent"})


def test_metrics_exposed(client, client2) -> None:  # type: ignore[no-untyped-def]
    order(client2, side="sell")  # demo-2 rests, demo-1 takes
    order(client, side="buy")
    order(client, quantity="abc")
    text = client.get("/metrics").data.decode()
    assert 'matching_orders_total{order_type="limit",status="filled",symbol="BTC-USDT"} 1.0' in text
    assert 'matching_trades_total{symbol="BTC-USDT"} 1.0' in text
    assert 'matching_order_errors_total{error_code="VALIDATION_ERROR"} 1.0' in text
    assert "matching_order_latency_seconds_bucket" in text
    assert 'http_request_duration_seconds_count{endpoint="/order",method="POST",status="200"} 2.0' in text
    assert "socketio_connected_clients" in text


def test_order_entry_rate_limit_and_methods() -> None:
    from api import create_app
    from tests.conftest import demo_key

    app = create_app({"ASYNC_MODE": "threading", "FEED_ENABLED": False, "RATE_LIMIT": "3 per minute", "LOG_LEVEL": "WARNING"})
    c = app.test_client()
    c.environ_base["HTTP_X_API_KEY"] = demo_key(app)
    body = {"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.1", "price": "29000"}
    codes = [c.post("/order", json=body).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    r = c.post("/order", json=body)
    assert r.json["error_code"] == "RATE_LIMITED" and 1 <= int(r.headers["Retry-After"]) <= 61
    assert len(c.get(f"/book/{SYM}").json["bids"]) == 1  # the refused orders changed nothing
    assert 'http_request_duration_seconds_count{endpoint="/order",method="POST",status="429"} 3.0' in c.get("/metrics").data.decode()
    app.extensions["me_feed"].stop()
