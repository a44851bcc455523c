"""The eventlet server's HTTP protocol (api/protocol.py): header parsing, the direct POST /order
path against eventlet's WSGI path, and connection handling, over raw loopback sockets."""
from __future__ import annotations

import contextlib
import io
import json
import socket
from typing import Any, Iterator

import pytest
import requests

from api.http_headers import BadHeaders, RequestHeaders, read_headers
from tests.servers import demo_key, running_server

SYM = "BTC-USDT"
ORDER = {"symbol": SYM, "side": "buy", "order_type": "limit", "quantity": "0.01", "price": "20000"}


# ---- the header parser ----------------------------------------------------------------------

def test_read_headers_values_and_lookup() -> None:
    raw = b"Host: x\r\nContent-Type:  application/json ; charset=utf-8 \r\nX-A: 1\r\nx-a: 2\r\n\r\nBODY"
    stream = io.BytesIO(raw)
    headers = read_headers(stream)
    assert stream.read() == b"BODY"  # stops at the empty line
    assert headers.get("content-type") == "application/json ; charset=utf-8"
    assert headers["HOST"] == "x" and headers.get("missing", "d") == "d" and headers["missing"] is None
    assert headers.get("X-A") == "1" and headers.get_all("x-a") == ["1", "2"] and headers.get_all("nope") is None
    assert "x-a" in headers and "nope" not in headers and len(headers) == 4
    assert headers.get_content_type() == "application/json"
    assert RequestHeaders([]).get_content_type() == "text/plain"  # as http.client's message when absent
    assert RequestHeaders([("Content-Type", "garbage")]).get_content_type() == "text/plain"


@pytest.mark.parametrize("raw", [
    b"NoColon\r\n\r\n",
    b"Bad Name: x\r\n\r\n",
    b"Name : x\r\n\r\n",
    b": empty name\r\n\r\n",
    b"X-A: 1\r\n folded\r\n\r\n",
    b"Content-Length: 1\r\nContent-Length: 1\r\n\r\n",
    b"Transfer-Encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n",
    b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n",
], ids=["no-colon", "space-in-name", "space-before-colon", "empty-name", "folded", "two-lengths",
        "two-encodings", "101-headers"])
def test_read_headers_refuses_ambiguous_input(raw: bytes) -> None:
    with pytest.raises(BadHeaders):
        read_headers(io.BytesIO(raw))


# ---- a real server, raw sockets ---------------------------------------------------------------

@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with running_server() as base:
        yield base


KEYS: dict[str, str] = {}  # server URL -> the first demo account's key


def _key(url: str) -> str:
    if url not in KEYS:
        KEYS[url] = demo_key(url)
    return KEYS[url]


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


class Reader:
    """Responses read off one connection, one at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self.file = sock.makefile("rb")

    def response(self) -> tuple[int, dict[str, str], bytes]:
        status_line = self.file.readline()
        assert status_line.startswith(b"HTTP/1."), status_line
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := self.file.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
            return self.response()
        if "content-length" in headers:
            body = self.file.read(int(headers["content-length"]))
        else:  # chunked
            body = b""
            while (size := int(self.file.readline().strip(), 16)) > 0:
                body += self.file.read(size)
                self.file.readline()
            self.file.readline()
        return status, headers, body

    def closed(self) -> bool:
        return self.file.read(1) == b""


@contextlib.contextmanager
def _connect(url: str, source: str | None = None) -> Iterator[tuple[socket.socket, Reader]]:
    """A raw connection to the server (from the loopback address ``source``, if given) and the
    reader of its responses; both closed after."""
    with socket.create_connection(("127.0.0.1", _port(url)), timeout=5,
                                  source_address=None if source is None else (source, 0)) as sock:
        reader = Reader(sock)
        try:
            yield sock, reader
        finally:
            reader.file.close()


def _auth(key: str | None) -> str:
    return "" if key is None else f"X-API-Key: {key}\r\n"


def _request(body: bytes, key: str | None, *, content_type: str = "application/json", version: str = "HTTP/1.1",
             extra: str = "", path: str = "/order") -> bytes:
    """A request with a Content-Length; ``key`` is sent in X-API-Key (None: no key)."""
    head = (f"POST {path} {version}\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{_auth(key)}{extra}\r\n")
    return head.encode("latin-1") + body


def _chunked(body: bytes, key: str | None, *, content_type: str = "application/json", extra: str = "") -> bytes:
    head = (f"POST /order HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"
            f"{_auth(key)}{extra}\r\n")
    return head.encode() + (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"


def _exchange(url: str, payload: bytes) -> tuple[int, dict[str, str], bytes]:
    with _connect(url) as (sock, reader):
        sock.sendall(payload)
        return reader.response()


def _book(url: str) -> dict[str, Any]:
    book = requests.get(f"{url}/book/{SYM}", timeout=5).json()
    book.pop("timestamp")
    return book


def _comparable(body: bytes) -> Any:
    data = json.loads(body)
    for volatile in ("order_id", "processing_time_ms", "bbo", "trades"):
        data.pop(volatile, None)
    return data


BODIES = [
    (json.dumps(ORDER).encode(), "application/json"),
    (json.dumps({**ORDER, "price": "20000.001"}).encode(), "application/json"),
    (json.dumps({**ORDER, "symbol": "NOPE-USDT"}).encode(), "application/json"),
    (json.dumps({k: v for k, v in ORDER.items() if k != "side"}).encode(), "application/json"),
    (json.dumps({**ORDER, "extra": 1}).encode(), "application/json"),
    (b'{"symbol": "BTC-USDT", "quantity": NaN}', "application/json"),
    (b"{not json", "application/json"),
    (b"[]", "application/json"),
    (json.dumps(ORDER).encode(), "text/plain"),
    (b"", "application/json"),
]
BODY_IDS = ["valid", "off-tick", "unknown-symbol", "missing-side", "unknown-field", "nan", "bad-json", "array",
            "text-plain", "empty"]


@pytest.mark.parametrize(("body", "content_type"), BODIES, ids=BODY_IDS)
def test_direct_path_answers_like_the_wsgi_path(url: str, body: bytes, content_type: str) -> None:
    """Content-Length requests take the direct path, chunked ones eventlet's WSGI path: same answers."""
    direct = _exchange(url, _request(body, _key(url), content_type=content_type))
    wsgi = _exchange(url, _chunked(body, _key(url), content_type=content_type))
    assert direct[0] == wsgi[0]
    assert direct[1]["content-type"] == wsgi[1]["content-type"] == "application/json"
    assert "date" in direct[1] and "date" in wsgi[1]
    assert _comparable(direct[2]) == _comparable(wsgi[2])
    # every JSON answer ends with a newline, as Flask's do (curl's prompt then starts on its own line)
    assert direct[2].endswith(b"}\n") and wsgi[2].endswith(b"}\n")
    if direct[0] == 200:
        assert json.loads(direct[2])["order_id"] + 1 == json.loads(wsgi[2])["order_id"]
    else:
        assert json.loads(direct[2])["error_code"]


AUTHS = [  # (id, the header line given the valid key, the expected status, the expected reason)
    ("missing", lambda key: "", 401, "API_KEY_REQUIRED"),
    ("unknown-key", lambda key: "X-API-Key: me_000000000000_not-a-valid-secret\r\n", 401, "INVALID_API_KEY"),
    ("not-a-key", lambda key: "X-API-Key: hunter2\r\n", 401, "INVALID_API_KEY"),
    ("basic-auth", lambda key: "Authorization: Basic dXNlcjpwYXNz\r\n", 401, "API_KEY_REQUIRED"),
    ("bearer", lambda key: f"Authorization: Bearer {key}\r\n", 200, None),
    ("lowercase-name", lambda key: f"x-api-key: {key}\r\n", 200, None),
]


@pytest.mark.parametrize(("header", "status", "reason"), [a[1:] for a in AUTHS], ids=[a[0] for a in AUTHS])
def test_direct_path_checks_keys_like_the_wsgi_path(url: str, header: Any, status: int, reason: str | None) -> None:
    body = json.dumps(ORDER).encode()
    before = _book(url)
    direct = _exchange(url, _request(body, None, extra=header(_key(url))))
    wsgi = _exchange(url, _chunked(body, None, extra=header(_key(url))))
    assert direct[0] == wsgi[0] == status
    assert _comparable(direct[2]) == _comparable(wsgi[2])
    if status == 401:
        answer = json.loads(direct[2])
        assert answer["error_code"] == "UNAUTHENTICATED" and answer["reason"] == reason and answer["error"]
        assert direct[1]["www-authenticate"] == wsgi[1]["www-authenticate"]
        assert direct[1]["www-authenticate"].startswith("Bearer ")
        assert _book(url) == before  # refused before the engine
    else:
        assert json.loads(direct[2])["status"] == "pending" and "www-authenticate" not in direct[1]


def test_pipelined_orders_on_one_connection(url: str) -> None:
    before = len(_book(url)["bids"])
    orders = [json.dumps({**ORDER, "price": str(10000 + i), "client_order_id": f"pipe-{i}"}).encode() for i in range(5)]
    with _connect(url) as (sock, reader):
        sock.sendall(b"".join(_request(o, _key(url)) for o in orders))  # all five before reading anything
        answers = [reader.response() for _ in orders]
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")  # the connection is still usable
        assert reader.response()[0] == 200
    assert [a[0] for a in answers] == [200] * 5
    assert [json.loads(a[2])["client_order_id"] for a in answers] == [f"pipe-{i}" for i in range(5)]
    assert len(_book(url)["bids"]) == before + 5


def test_connection_header_rules(url: str) -> None:
    body, key = json.dumps(ORDER).encode(), _key(url)
    with _connect(url) as (sock, reader):  # HTTP/1.0 without keep-alive: answered, then closed
        sock.sendall(_request(body, key, version="HTTP/1.0"))
        status, headers, _ = reader.response()
        assert status == 200 and headers["connection"] == "close" and reader.closed()
    with _connect(url) as (sock, reader):  # HTTP/1.0 asking for keep-alive: kept, and said so
        sock.sendall(_request(body, key, version="HTTP/1.0", extra="Connection: keep-alive\r\n"))
        assert reader.response()[1]["connection"] == "keep-alive"
        sock.sendall(_request(body, key, version="HTTP/1.0", extra="Connection: keep-alive\r\n"))
        assert reader.response()[0] == 200
    with _connect(url) as (sock, reader):  # HTTP/1.1 with Connection: close
        sock.sendall(_request(body, key, extra="Connection: close\r\n"))
        status, headers, _ = reader.response()
        assert status == 200 and headers["connection"] == "close" and reader.closed()
    with _connect(url) as (sock, reader):  # HTTP/1.1 default: persistent, no Connection header needed
        sock.sendall(_request(body, key))
        assert "connection" not in reader.response()[1]


@pytest.mark.parametrize("length", [b"70000", b"9" * 5000], ids=["over-64-KiB", "5000-digits"])
def test_oversized_body_is_refused_unread_and_the_connection_closed(url: str, length: bytes) -> None:
    before = _book(url)
    with _connect(url) as (sock, reader):
        sock.sendall(b"POST /order HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"X-API-Key: " + _key(url).encode() + b"\r\n"
                     b"Content-Length: " + length + b"\r\n\r\n")  # over the 64 KiB default; no body sent
        status, headers, body = reader.response()
        assert status == 413 and json.loads(body)["error_code"] == "PAYLOAD_TOO_LARGE"
        assert headers["connection"] == "close" and reader.closed()
    assert _book(url) == before


@pytest.mark.parametrize("head", [
    b"POST /order HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
    b"POST /order HTTP/1.1\r\nBad Header: 1\r\nContent-Length: 2\r\n\r\n{}",
    b"POST /order HTTP/1.1\r\nX-A: 1\r\n  folded\r\nContent-Length: 2\r\n\r\n{}",
    b"POST /order HTTP/1.1\r\nContent-Length: -2\r\n\r\n{}",
    b"POST /order HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
    b"POST /order HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n",
    b"POST /order HTTP/1.1\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n",
    b"POST /order HTTP/9.9\r\nContent-Length: 2\r\n\r\n{}",
    b"POST /order HTTP/one\r\n\r\n",
    b"POST /order\r\n\r\n",
], ids=["two-lengths", "space-in-name", "folded", "negative-length", "length-and-chunked", "101-headers",
        "long-line", "http-9.9", "bad-version", "no-version"])
def test_malformed_requests_get_a_client_error_and_change_nothing(url: str, head: bytes) -> None:
    before = _book(url)
    with _connect(url) as (sock, reader):
        sock.sendall(head)
        status, _, _ = reader.response()
        assert 400 <= status < 600 and status != 500
        assert reader.closed()
    assert _book(url) == before
    assert requests.get(f"{url}/health", timeout=5).status_code == 200


def test_client_leaving_mid_body_changes_nothing(url: str) -> None:
    before = _book(url)
    with _connect(url) as (sock, reader):
        sock.sendall(b"POST /order HTTP/1.1\r\nContent-Type: application/json\r\nX-API-Key: " + _key(url).encode()
                     + b"\r\nContent-Length: 100\r\n\r\n{\"sym")
        sock.shutdown(socket.SHUT_WR)
        assert reader.closed()  # no answer to half a request
    assert _book(url) == before


def test_other_shapes_of_the_order_path_take_the_wsgi_path(url: str) -> None:
    body, key = json.dumps(ORDER).encode(), _key(url)
    for path in ("/order?x=1", "//order"):
        status, _, answer = _exchange(url, _request(body, key, path=path))
        assert status == 200 and json.loads(answer)["status"] == "pending", path
        status, headers, answer = _exchange(url, _request(body, None, path=path))  # and need a key there too
        assert status == 401 and json.loads(answer)["error_code"] == "UNAUTHENTICATED", path
        assert headers["www-authenticate"].startswith("Bearer"), path
    status, headers, answer = _exchange(url, _request(body, key, extra="Expect: 100-continue\r\n"))
    assert status == 200 and json.loads(answer)["status"] == "pending"
    status, headers, answer = _exchange(url, f"GET /order HTTP/1.1\r\nHost: x\r\n{_auth(key)}\r\n".encode())
    assert status == 405 and headers["allow"] == "POST" and json.loads(answer)["error_code"] == "METHOD_NOT_ALLOWED"


def test_direct_path_orders_reach_metrics(url: str) -> None:
    def count() -> float:
        text = requests.get(f"{url}/metrics", timeout=5).text
        line = next(x for x in text.splitlines()
                    if x.startswith('http_request_duration_seconds_count{endpoint="/order",method="POST",status="200"}'))
        return float(line.rsplit(" ", 1)[1])

    before = count()
    for _ in range(3):
        assert _exchange(url, _request(json.dumps(ORDER).encode(), _key(url)))[0] == 200
    assert count() == before + 3


def test_rate_limit_on_the_direct_path() -> None:
    with running_server("--rate-limit", "3 per minute") as base:
        body, key, other_key = json.dumps(ORDER).encode(), demo_key(base), demo_key(base, 1)
        with _connect(base) as (sock, reader):
            answers = []
            for _ in range(5):
                sock.sendall(_request(body, key))
                answers.append(reader.response())
            # the limit is the account's: another account from the same address still has its own
            sock.sendall(_request(body, other_key))
            other = reader.response()
        assert [a[0] for a in answers] == [200, 200, 200, 429, 429]
        assert 1 <= int(answers[3][1]["retry-after"]) <= 61
        assert json.loads(answers[4][2])["error_code"] == "RATE_LIMITED"
        assert other[0] == 200 and json.loads(other[2])["status"] == "pending"


def test_mangled_requests_never_break_the_server(url: str) -> None:
    """Seeded random damage to a valid order request: every answer is a response or a closed
    connection, never a 5xx, and the server keeps serving."""
    import random

    rng = random.Random(20261125)
    valid = _request(json.dumps(ORDER).encode(), _key(url))
    statuses: set[int] = set()
    for n in range(150):
        raw = bytearray(valid)
        for _ in range(rng.randint(1, 4)):
            action, at = rng.random(), rng.randrange(len(raw))
            if action < 0.4:
                raw[at] = rng.randrange(256)
            elif action < 0.7:
                del raw[at:at + rng.randint(1, 8)]
            else:
                raw[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        # Each from its own loopback address: a damaged key is a bad key, and 20 of them from one
        # address would lock it out (429) for a minute, before the rest of the request is read.
        with _connect(url, source=f"127.0.{1 + n // 200}.{1 + n % 200}") as (sock, reader):
            sock.sendall(bytes(raw))
            sock.shutdown(socket.SHUT_WR)  # nothing more is coming: a short body cannot hang the test
            try:
                status, _, _ = reader.response()
            except (AssertionError, ValueError, OSError):
                continue  # no HTTP answer (e.g. the connection was closed): allowed
            statuses.add(status)
            assert status < 500 or status == 505, bytes(raw)
    assert statuses, "no request got an answer"
    assert requests.get(f"{url}/health", timeout=5).status_code == 200
