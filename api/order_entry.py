"""POST /order as a thin WSGI layer in front of Flask.

Order entry is the one hot endpoint, and Flask's per-request machinery (request
context, hooks, Flask-Limiter's request filters) costs several times what the
engine does for an order.  This layer answers POST /order itself, with the same
contract, error shapes and limits (Flask-Limiter's own storage and strategy, the
app's RATE_LIMIT), and passes every other request to the Flask app unchanged.
:meth:`OrderEntry.respond` is the answer itself, also called by the eventlet server's
protocol (``api/protocol.py``), which hands it orders without building a WSGI environ.
"""
from __future__ import annotations

import logging
import math
import time
from typing import Any, Callable, Iterable

import orjson
from flask import Flask
from limits import parse_many

from api.auth import MISSING_KEY, KeyGuard, presented_key
from api.durability import not_durable
from api.errors import STATUS_BY_CODE, ApiError
from api.extensions import limiter_of
from api.requests import parse_json_object

log = logging.getLogger("api.orders")

ORDER_FIELDS = frozenset({"symbol", "side", "order_type", "quantity", "price", "client_order_id", "post_only",
                          "self_trade_prevention", "quote_quantity"})
REQUIRED = ("symbol", "side", "order_type", "quantity")  # quantity, or quote_quantity for a market buy
REASONS = {200: "200 OK", 400: "400 BAD REQUEST", 401: "401 UNAUTHORIZED", 404: "404 NOT FOUND", 405: "405 METHOD NOT ALLOWED",
           413: "413 REQUEST ENTITY TOO LARGE", 429: "429 TOO MANY REQUESTS", 500: "500 INTERNAL SERVER ERROR",
           503: "503 SERVICE UNAVAILABLE"}

StartResponse = Callable[..., Any]


def place_order(engine: Any, body: dict[str, Any], account: int | None) -> tuple[int, dict[str, Any]]:
    """Validate the fields' presence, submit for ``account``, and map the result to an HTTP status."""
    missing = [n for n in REQUIRED if body.get(n) is None and not (n == "quantity" and body.get("quote_quantity") is not None)]
    if missing:
        raise ApiError(400, "VALIDATION_ERROR", "MISSING_FIELD", f"missing required field(s): {', '.join(missing)}")
    post_only = body.get("post_only", False)
    result = engine.submit_order(body["symbol"], body["side"], body["order_type"], body.get("quantity"), body.get("price"),
                                 body.get("client_order_id"), post_only=False if post_only is None else post_only,
                                 account=account, self_trade_prevention=body.get("self_trade_prevention"),
                                 quote_quantity=body.get("quote_quantity"))
    if "error" in result:
        return STATUS_BY_CODE.get(result["error_code"], 400), result
    return 200, result


class OrderEntry:
    """WSGI middleware answering POST /order; everything else goes to ``wsgi_app``."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app
        self.engine = app.extensions["matching_engine"]
        self.metrics = app.extensions["me_metrics"]
        self.store = app.extensions.get("me_store")
        self.max_length: int = app.config["MAX_CONTENT_LENGTH"]
        self.limit_enabled: bool = app.config["RATE_LIMIT_ENABLED"]
        self.limits = parse_many(app.config["RATE_LIMIT"])
        self.limiter = limiter_of(app)  # this app's storage: another app's counts are its own
        self.guard: KeyGuard = app.extensions["me_key_guard"]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/order":
            return self.wsgi_app(environ, start_response)
        length_text = environ.get("CONTENT_LENGTH") or ""
        length = (int(length_text) if len(length_text) <= 18 else 10**18) \
            if length_text.isascii() and length_text.isdigit() else None  # 18+ digits: certainly too large
        stream = environ["wsgi.input"]

        def read_body() -> bytes:
            return stream.read(length) if length is not None else stream.read(self.max_length + 1)

        key = presented_key(lambda name: environ.get("HTTP_" + name.upper().replace("-", "_")))
        status, headers, body = self.respond(environ.get("REQUEST_METHOD", ""), environ.get("CONTENT_TYPE", ""),
                                             length, read_body, environ.get("REMOTE_ADDR") or "127.0.0.1", key)
        start_response(REASONS.get(status, f"{status} ERROR"),
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers])
        return [body]

    def respond(self, method: str, content_type: str, length: int | None, read_body: Callable[[], bytes],
                remote_addr: str, api_key: str | None = None) -> tuple[int, list[tuple[str, str]], bytes]:
        """Answer one request to /order: status, extra headers and the JSON body.

        ``length`` is the declared Content-Length (None when absent); ``read_body`` is only
        called when that length is within the configured maximum.  ``api_key`` is the key
        the request presented (``X-API-Key`` or ``Authorization: Bearer``).
        """
        started = time.perf_counter()
        headers: list[tuple[str, str]] = []
        try:
            if method != "POST":
                headers.append(("Allow", "POST"))
                raise ApiError(405, "METHOD_NOT_ALLOWED", "METHOD_NOT_ALLOWED", "this method is not allowed on this path")
            account, key_id = self.engine.authenticate(api_key) if api_key else (None, None)
            if account is None:  # no valid key: the address's budget counts it, then the 401 (or 429)
                retry_after = self._rate_limited(remote_addr)
                if retry_after is None:
                    if not api_key:
                        raise ApiError(401, "UNAUTHENTICATED", "API_KEY_REQUIRED", MISSING_KEY)
                    self.guard.refuse(key_id, remote_addr)
            else:
                retry_after = self._rate_limited(f"account:{account.account_id}")
            if retry_after is not None:
                headers.append(("Retry-After", str(retry_after)))
                raise ApiError(429, "RATE_LIMITED", "TOO_MANY_REQUESTS", "rate limit exceeded; retry later")
            status, payload = place_order(self.engine, self._read_json(content_type, length, read_body),
                                          account.account_id)  # type: ignore[union-attr]
            store = self.store
            if store is not None and status == 200 and not store.wait_durable():
                raise not_durable(store, "order", payload)
        except ApiError as exc:
            status, payload = exc.status, exc.to_dict()
            headers.extend(exc.headers)
            if status == 401:
                headers.append(("WWW-Authenticate", 'Bearer realm="matching-engine"'))
        except Exception:  # a bug of ours, never the client's input
            log.exception("unhandled error in POST /order")
            status, payload = 500, {"error": "internal error", "error_code": "INTERNAL_ERROR", "reason": "INTERNAL_ERROR"}
        body = orjson.dumps(payload) + b"\n"  # like every Flask answer (jsonify ends with a newline)
        metrics = self.metrics
        if status == 200:
            metrics.observe_order(payload)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("order", extra={"order_id": payload["order_id"], "symbol": payload["symbol"],
                                          "status": payload["status"]})
        elif "error_code" in payload and status in (400, 404):
            metrics.order_errors.labels(payload["error_code"]).inc()
        metrics.http_observe("POST", "/order", status, time.perf_counter() - started)
        return status, headers, body

    def _read_json(self, content_type: str, length: int | None, read_body: Callable[[], bytes]) -> dict[str, Any]:
        mimetype = content_type.split(";", 1)[0].strip().lower()
        if length is not None and length > self.max_length:
            raise ApiError(413, "PAYLOAD_TOO_LARGE", "BODY_TOO_LARGE", f"the request body is larger than {self.max_length} bytes")
        raw = read_body()
        if len(raw) > self.max_length:
            raise ApiError(413, "PAYLOAD_TOO_LARGE", "BODY_TOO_LARGE", f"the request body is larger than {self.max_length} bytes")
        return parse_json_object(raw, mimetype, ORDER_FIELDS)

    def _rate_limited(self, key: str) -> int | None:
        """None if allowed, else the seconds to wait. Same storage and strategy as Flask-Limiter."""
        if not self.limit_enabled:
            return None
        strategy = self.limiter.limiter
        for item in self.limits:
            if not strategy.hit(item, "order-entry", key):
                reset = strategy.get_window_stats(item, "order-entry", key).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None
