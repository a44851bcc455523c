"""The threading mode's server (Werkzeug's, one thread per connection) with a socket timeout.

Less than the eventlet server gets (``api/connections.py``): a read or write that makes no
progress for ``HEADER_TIMEOUT_S`` closes the connection, so idle connections and idle
keep-alive connections go, but a head sent a byte at a time within that timeout is not cut
short, and the number of connections (threads) is not bounded.
"""
from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler


def request_handler(timeout_s: float) -> type[WSGIRequestHandler]:
    """A Werkzeug request handler whose connections time out after ``timeout_s`` without progress."""

    class TimedRequestHandler(WSGIRequestHandler):
        timeout = timeout_s  # socketserver.StreamRequestHandler applies it to the connection

        def run_wsgi(self) -> None:
            if self.headers.get("Upgrade", "").lower() == "websocket":
                # A WebSocket is quiet between Engine.IO pings (25 s); engineio times it out itself.
                self.connection.settimeout(None)
            super().run_wsgi()

    return TimedRequestHandler
