"""The HTTP/1.1 protocol of the eventlet server: eventlet's own, with three changes.

* Request headers are read by a small strict parser instead of the standard library's
  e-mail parser, which was the largest single cost of a request.
* ``POST /order`` with a Content-Length is answered right after its headers, without
  building a WSGI environ: the body is read, :meth:`OrderEntry.respond` answers (same
  contract, limits and metrics as the WSGI path) and the response goes out in one write.
* A WebSocket upgrade gets a fixed kernel send buffer, so that a client that stops reading
  shows up in its Engine.IO queue (``api/feed_limits.py``) after kilobytes, not megabytes.
* A request head (and a direct order's body) must arrive within ``header_timeout_s`` of its
  start, and a kept-alive connection may wait ``keepalive_timeout_s`` for the next request's
  first byte (``api/connections.py``); eventlet itself waits forever for either.

Every other request (and an order request using chunked encoding or ``Expect``) takes
eventlet's usual WSGI path, so Socket.IO, the dashboard and the REST endpoints are served
exactly as before.
"""
from __future__ import annotations

import errno
import socket
import time
from typing import IO

import eventlet.wsgi

from api.connections import ConnectionLimits, spread
from api.http_headers import BadHeaders, RequestHeaders, read_headers
from api.auth import presented_key
from api.order_entry import REASONS, OrderEntry

_BROKEN = {errno.EPIPE, errno.ECONNRESET, errno.ESHUTDOWN, errno.EBADF}


class _DateHeader:
    """The Date header line, formatted at most once a second."""

    def __init__(self) -> None:
        self.second = -1
        self.line = b""

    def __call__(self) -> bytes:
        now = time.time()
        second = int(now)
        if second != self.second:
            self.line = f"Date: {eventlet.wsgi.format_date_time(now)}\r\n".encode("ascii")
            self.second = second
        return self.line


class HeadTimeout(TimeoutError):
    """A request head that did not arrive in time; eventlet.wsgi closes the connection on it."""


class HttpProtocol(eventlet.wsgi.HttpProtocol):
    """eventlet's protocol with a lean header parser, a direct path for ``POST /order`` and timeouts."""

    order_entry: OrderEntry | None = None
    limits = ConnectionLimits(header_timeout_s=10.0, keepalive_timeout_s=5.0, max_connections=10_000)
    date_header = _DateHeader()
    _head_timer: eventlet.Timeout | None = None
    _requests_started = 0

    def _read_request_line(self) -> bytes | str:
        """The request line, or "" to close: idle too long, head too slow, or the client left."""
        if self.rfile.closed:
            self.close_connection = True
            return ""
        limits = self.limits
        try:
            # Kept alive, the next request may take the idle timeout to begin, then the header
            # timeout to complete. The first request has the header timeout in all.
            if self._requests_started and not self._next_request_began():
                return ""
            if self._requests_started == 0 and len(self.conn_state) > 3:
                # It waited for its first byte before this thread started (api/connections.py):
                # the head's deadline was set at accept.
                head_s = max(0.0, self.conn_state[3] - time.monotonic())
            else:
                head_s = spread(limits.header_timeout_s)
            self._requests_started += 1
            self._head_timer = eventlet.Timeout(head_s, HeadTimeout("request head too slow"))
            return self.rfile.readline(self.server.url_length_limit)
        except OSError:  # timeouts included; eventlet.wsgi closes the connection on ""
            self.close_connection = True
            return ""

    def _next_request_began(self) -> bool:
        """Whether a byte of the next request arrived within the keep-alive timeout."""
        # eventlet.Timeout rather than a socket timeout: eventlet's socket timeout leaves a
        # reference cycle (exception, traceback, timer) behind for the collector every time.
        with eventlet.Timeout(spread(self.limits.keepalive_timeout_s), False):
            return bool(self.rfile.peek(1))
        return False

    def _head_received(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        finally:
            self._head_received()  # answered without parse_request (414), or failed

    def parse_request(self) -> bool:
        """Parse the request line and headers (the standard library's rules, stricter headers).

        Returns False when the request has been answered here (an error, or an order).
        """
        self.command = None
        self.request_version = self.default_request_version
        self.close_connection = True
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split()
        if not words:
            return False
        if len(words) != 3:  # HTTP/0.9 requests included: answered as HTTP/1.0
            self.request_version = "HTTP/1.0"
            self.send_error(400, f"Bad request syntax ({requestline[:100]!r})")
            return False
        command, path, version = words
        major_minor = _http_version(version)
        if major_minor is None:
            self.request_version = "HTTP/1.0"
            self.send_error(400, f"Bad request version ({version[:20]!r})")
            return False
        self.request_version = version
        if major_minor >= (2, 0):
            self.send_error(505, f"Invalid HTTP version ({version[:20]})")
            return False
        if major_minor >= (1, 1) and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        if path.startswith("//"):
            path = "/" + path.lstrip("/")  # never read as a scheme-relative URL
        self.command, self.path = command, path
        try:
            self.headers = headers = read_headers(self.rfile)
        except BadHeaders as exc:
            self._head_received()
            self.send_error(400, str(exc))
            return False
        connection = headers.get("Connection", "").lower()
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        if command == "POST" and path == "/order" and self.order_entry is not None and "expect" not in headers \
                and "transfer-encoding" not in headers:
            length = headers.get("content-length")
            if length is not None and length.isascii() and length.isdigit():
                # past 18 digits it is certainly over the limit (and int() of 4,301 digits would raise)
                self._answer_order(self.order_entry, int(length) if len(length) <= 18 else 10**18, headers,
                                   connection)
                return False
        self._head_received()
        if headers.get("upgrade", "").lower() == "websocket":
            # Linux autotunes a send buffer up to MiBs, thousands of messages a stalled
            # subscriber would hold before its Engine.IO queue (the bounded one) even grows.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.limits.ws_send_buffer_bytes)
        return True

    def _answer_order(self, entry: OrderEntry, length: int, headers: RequestHeaders, connection: str) -> None:
        rfile: IO[bytes] = getattr(self.rfile, "fp", self.rfile)  # past eventlet's header-size guard
        body = b""
        if length > entry.max_length:
            self.close_connection = True  # the body is not read, so the connection cannot be reused
        else:
            try:
                body = rfile.read(length)
            except OSError:
                self.close_connection = True
                return
            if len(body) < length:  # the client went away mid-body
                self.close_connection = True
                return
        self._head_received()  # the body is in: from here on the time is the server's
        client = eventlet.wsgi.addr_to_host_port(self.client_address)[0] or "127.0.0.1"
        status, extra, payload = entry.respond("POST", headers.get("content-type", ""), length, lambda: body, client,
                                               presented_key(headers.get))
        server = self.server
        keep_alive_header = False
        if not self.close_connection and server.keepalive and (
                connection == "keep-alive" or (self.request_version == "HTTP/1.1" and connection != "close")):
            keep_alive_header = connection == "keep-alive"
        else:
            self.close_connection = True
        lines = [f"{self.protocol_version} {REASONS.get(status, f'{status} ERROR')}\r\n",
                 f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in extra)
        if self.close_connection:
            lines.append("Connection: close\r\n")
        elif keep_alive_header:
            lines.append("Connection: keep-alive\r\n")
        response = "".join(lines).encode("latin-1") + self.date_header() + b"\r\n" + payload
        try:
            self.wfile.write(response)
            self.wfile.flush()
        except OSError as exc:
            if exc.errno not in _BROKEN:
                raise
            self.close_connection = True


def _http_version(text: str) -> tuple[int, int] | None:
    """``HTTP/1.1`` as (1, 1); None when it is not an HTTP version."""
    if not text.startswith("HTTP/"):
        return None
    parts = text[5:].split(".")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) <= 10 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def protocol_for(entry: OrderEntry, limits: ConnectionLimits) -> type[HttpProtocol]:
    """An :class:`HttpProtocol` class that answers orders with ``entry`` within ``limits``."""
    return type("OrderEntryProtocol", (HttpProtocol,), {"order_entry": entry, "limits": limits})
