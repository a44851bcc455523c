"""Every endpoint, fed bad input: always a 4xx with a stable error shape, and the books unchanged."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

SYM = "BTC-USDT"
GOOD = {"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.1", "price": "30000"}


def books(client) -> list:  # type: ignore[no-untyped-def]
    out = []
    for s in client.get("/health").json["symbols"]:
        b = client.get(f"/book/{s}?levels=100").json
        out.append((b["bids"], b["asks"], b["sequence"]))
    return out


@pytest.fixture(params=["with a key", "without a key"])
def seeded(client, request):  # type: ignore[no-untyped-def]
    """Two resting orders; then the table runs signed in, and again with no key at all."""
    assert client.post("/order", json={**GOOD, "price": "29000", "client_order_id": "seed"}).status_code == 200
    assert client.post("/order", json={**GOOD, "side": "sell", "price": "31000"}).status_code == 200
    if request.param == "without a key":
        del client.environ_base["HTTP_X_API_KEY"]
    return client


def refused(client, r, *statuses: int) -> None:  # type: ignore[no-untyped-def]
    """A refusal with a clear body: one of ``statuses`` signed in; without a key, 401 before the body is read."""
    if "HTTP_X_API_KEY" in client.environ_base:
        assert r.status_code in statuses, (r.status_code, r.data[:200])
    else:
        assert r.status_code == 401 and r.json["error_code"] == "UNAUTHENTICATED", (r.status_code, r.data[:200])
    assert {"error", "error_code", "reason"} <= set(r.json) and len(r.json["error"]) > 5


def with_(**kw: object) -> dict:
    body = dict(GOOD)
    body.update(kw)
    return body


ORDER_BODIES = [
    ("not json", "{bad", "application/json"),
    ("empty", "", "application/json"),
    ("array", "[1,2]", "application/json"),
    ("null", "null", "application/json"),
    ("string", '"order"', "application/json"),
    ("form", "symbol=BTC-USDT", "application/x-www-form-urlencoded"),
    ("text", json.dumps(GOOD), "text/plain"),
    ("no content type", json.dumps(GOOD), None),
    ("NaN literal", json.dumps(GOOD).replace('"0.1"', "NaN"), "application/json"),
    ("Infinity literal", json.dumps(GOOD).replace('"30000"', "Infinity"), "application/json"),
    ("1e999 number", json.dumps(GOOD).replace('"30000"', "1e999"), "application/json"),
    ("huge int", json.dumps(GOOD).replace('"0.1"', "9" * 5000), "application/json"),
    ("deep nesting", "[" * 5000 + "]" * 5000, "application/json"),
    ("bad utf-8", b'{"symbol": "\xff\xfe"}', "application/json"),
]


@pytest.mark.parametrize("name, raw, ctype", ORDER_BODIES, ids=[b[0] for b in ORDER_BODIES])
@pytest.mark.parametrize("path", ["/order", "/cancel"])
def test_raw_bodies(seeded, path: str, name: str, raw, ctype) -> None:  # type: ignore[no-untyped-def]
    before = books(seeded)
    headers = {"Content-Type": ctype} if ctype else {}
    r = seeded.post(path, data=raw, headers=headers)
    refused(seeded, r, *range(400, 500))
    assert books(seeded) == before


def test_huge_body_is_413(seeded) -> None:  # type: ignore[no-untyped-def]
    before = books(seeded)
    body = json.dumps(with_(client_order_id="x" * 70_000))
    r = seeded.post("/order", data=body, content_type="application/json")
    refused(seeded, r, 413)
    assert r.status_code == 401 or r.json["error_code"] == "PAYLOAD_TOO_LARGE"
    assert books(seeded) == before


FIELD_CASES = [
    with_(quantity="NaN"), with_(quantity="Infinity"), with_(quantity="-Infinity"), with_(price="sNaN"),
    with_(price="1e999"), with_(quantity="1e999"), with_(quantity=True), with_(quantity=None), with_(quantity=[1]),
    with_(quantity={"v": 1}), with_(quantity=""), with_(quantity="abc"), with_(quantity="-0"), with_(price="-1"),
    with_(price="30000.001"), with_(quantity="0.000000001"), with_(side="BUYY"), with_(side=1), with_(order_type="stop"),
    with_(order_type=["limit"]), with_(symbol="<script>alert(1)</script>"), with_(symbol="ＢＴＣ-USDT"),
    with_(symbol=5), with_(symbol=None), with_(symbol="btc-usdt"), with_(client_order_id=7),
    with_(client_order_id="x" * 65), with_(client_order_id="bad\u0000id"), with_(client_order_id="seed"),
    with_(post_only="true"), with_(order_type="market"), with_(extra_field=1), with_(price=None),
    {"symbol": SYM}, {},
]


@pytest.mark.parametrize("body", FIELD_CASES, ids=[json.dumps(b, default=str)[:60] for b in FIELD_CASES])
def test_order_fields(seeded, body: dict) -> None:  # type: ignore[no-untyped-def]
    before = books(seeded)
    r = seeded.post("/order", json=body)
    refused(seeded, r, 400, 404)
    assert books(seeded) == before


CANCEL_CASES = [
    {"symbol": SYM}, {"order_id": 1}, {"symbol": SYM, "order_id": True}, {"symbol": SYM, "order_id": [1]},
    {"symbol": SYM, "order_id": "abc"}, {"symbol": SYM, "order_id": 10**30}, {"symbol": "<b>x</b>", "order_id": 1},
    {"symbol": SYM, "client_order_id": "nope"}, {"symbol": SYM, "order_id": 1, "bogus": 1}, {"symbol": 1, "order_id": 1},
    {"symbol": SYM, "order_id": -1}, {"symbol": SYM, "order_id": 1.5},
]


@pytest.mark.parametrize("body", CANCEL_CASES, ids=[json.dumps(b)[:60] for b in CANCEL_CASES])
def test_cancel_fields(seeded, body: dict) -> None:  # type: ignore[no-untyped-def]
    before = books(seeded)
    r = seeded.post("/cancel", json=body)
    refused(seeded, r, 400, 404)
    assert books(seeded) == before


CANCEL_ANSWERS = [
    ({"symbol": SYM}, 400, "MISSING_FIELD", "order_id or client_order_id is required"),
    ({"symbol": SYM, "order_id": "abc"}, 400, "INVALID_ORDER_ID", "order_id must be an integer or a string of digits"),
    ({"symbol": SYM, "order_id": "12abc"}, 400, "INVALID_ORDER_ID", "order_id must be an integer or a string of digits"),
    ({"symbol": SYM, "order_id": ""}, 400, "INVALID_ORDER_ID", "order_id must be an integer or a string of digits"),
    ({"symbol": SYM, "order_id": "  5"}, 400, "INVALID_ORDER_ID", "order_id must be an integer or a string of digits"),
    ({"symbol": SYM, "order_id": 1.5}, 400, "INVALID_ORDER_ID", "order_id must be an integer or a string of digits"),
    ({"symbol": SYM, "client_order_id": 123}, 400, "INVALID_CLIENT_ORDER_ID", "client_order_id must be a string, not int"),
    ({"symbol": SYM, "order_id": -1}, 404, "UNKNOWN_ORDER", "the order named is not live or not known"),
    ({"symbol": SYM, "order_id": "9" * 25}, 404, "UNKNOWN_ORDER", "the order named is not live or not known"),
    ({"symbol": SYM, "order_id": 987654}, 404, "UNKNOWN_ORDER", "order 987654 is not live or not known"),
    ({"symbol": SYM, "client_order_id": "nope"}, 404, "UNKNOWN_ORDER", "order 'nope' is not live or not known"),
]


@pytest.mark.parametrize("body, status, reason, sentence", CANCEL_ANSWERS, ids=[json.dumps(c[0])[:60] for c in CANCEL_ANSWERS])
def test_cancel_answers_say_what_was_wrong(client, body: dict, status: int, reason: str, sentence: str) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/order", json={**GOOD, "price": "29000", "client_order_id": "seed"}).status_code == 200
    before = books(client)
    r = client.post("/cancel", json=body)
    assert (r.status_code, r.json["reason"]) == (status, reason), r.json
    assert r.json["error"].startswith(sentence) and "None" not in r.json["error"], r.json
    assert books(client) == before


@pytest.mark.parametrize("fields, sentence", [
    ({"quantity": "-0.1"}, "quantity must be positive, got -0.10000000"),
    ({"quantity": Decimal("1e400")}, "quantity 1E+400 is too large"),
    ({"price": "1e400"}, "price '1e400' is too large"),
])
def test_number_errors_show_the_number_sent(client, fields: dict, sentence: str) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(with_(**fields), default=str).replace('"1E+400"', "1E+400")  # a JSON number, not a string
    r = client.post("/order", data=body, content_type="application/json")
    assert r.status_code == 400 and r.json["error"] == sentence, r.json


@pytest.mark.parametrize("symbol", ["<script>alert(1)</script>", "ＢＴＣ", "%00", "..", "a" * 500, "BTC-USDT%20", "💥"])
@pytest.mark.parametrize("prefix", ["/book/", "/bbo/", "/trades/", "/statistics?symbol=", "/order/1?symbol="])
def test_get_with_odd_symbols(seeded, prefix: str, symbol: str) -> None:  # type: ignore[no-untyped-def]
    before = books(seeded)
    r = seeded.get(prefix + symbol)
    assert 400 <= r.status_code < 500
    assert books(seeded) == before
    assert len(seeded.get("/health").json["symbols"]) == 4
