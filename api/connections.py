"""How many connections the eventlet server holds, and how long it waits for each.

* Every connection runs in a green thread of one pool of ``MAX_CONNECTIONS``; past it a new
  connection is answered ``503`` with ``Retry-After`` at once and closed, instead of waiting
  unseen in the accept queue until a slot frees (eventlet's own pool blocks its accept loop).
* The head and keep-alive timeouts themselves are applied by the protocol (``api/protocol.py``),
  which reads them from :class:`ConnectionLimits`.
* A connection that has sent nothing yet is only a hub listener and a timer: its green thread
  starts with its first byte. An idle flood then costs a registration each, and closing one at
  its header timeout costs no green thread unwinding (eventlet's own hub API, pinned).
* The process's open-file limit is raised to fit the bound, or the bound lowered to fit it.
"""
from __future__ import annotations

import contextlib
import logging
import random
import resource
import socket
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import eventlet
import eventlet.green.socket
import eventlet.greenpool
import eventlet.hubs
import eventlet.wsgi

log = logging.getLogger("api.connections")

# File descriptors kept for everything that is not a client connection (the listening socket,
# the journal's SQLite files, epoll, logs) and for connections being refused.
RESERVED_FDS = 256
MAX_REFUSING = 128       # refusals in flight at once; past that a connection is closed unanswered
REFUSAL_LINGER_S = 1.0   # reading the refused request before closing, so the client sees the 503
LISTEN_BACKLOG = 4096    # the kernel caps it at net.core.somaxconn
SHUTDOWN_GRACE_S = 3.0   # on stop, connections still open after this are closed
# Each timeout is drawn between 90% and 100% of its setting: a flood opened all at once is then
# closed over a tenth of the timeout rather than in one turn of the event loop, which (with its
# reconnections) would stall every other connection for a few hundred milliseconds.
TIMEOUT_SPREAD = 0.1


def spread(seconds: float) -> float:
    """``seconds`` less up to ``TIMEOUT_SPREAD`` of it, at random."""
    return seconds * (1.0 - TIMEOUT_SPREAD * random.random())


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout_s: float    # a request head must be complete this long after it starts
    keepalive_timeout_s: float  # an idle kept-alive connection is closed after this long
    max_connections: int        # simultaneous connections, WebSockets included
    ws_send_buffer_bytes: int = 64 * 1024  # kernel send buffer of a WebSocket (none: autotuned to MiBs)
    retry_after_s: int = 1

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ConnectionLimits:
        return cls(float(config["HEADER_TIMEOUT_S"]), float(config["KEEPALIVE_TIMEOUT_S"]),
                   int(config["MAX_CONNECTIONS"]), int(config["WS_SEND_BUFFER_BYTES"]))


def refusal_response(retry_after_s: int) -> bytes:
    body = (b'{"error":"the server is at its connection limit; retry later",'
            b'"error_code":"SERVICE_UNAVAILABLE","reason":"TOO_MANY_CONNECTIONS"}')
    return (b"HTTP/1.1 503 SERVICE UNAVAILABLE\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nRetry-After: %d\r\nConnection: close\r\n\r\n%s"
            % (len(body), retry_after_s, body))


class _FirstByte:
    """A new connection waiting for its first byte, holding a place in the pool but no green thread.

    Stands in for the green thread eventlet.wsgi links its clean-up to: on the first byte the
    connection's green thread starts (and takes over the links); at ``deadline`` the links run
    here, which closes the socket.
    """

    __slots__ = ("conn_state", "function", "links", "listener", "pool", "timer")

    def __init__(self, pool: ConnectionPool, function: Callable[..., Any], conn_state: list[Any],
                 wait_s: float) -> None:
        hub = eventlet.hubs.get_hub()
        self.pool, self.function, self.conn_state = pool, function, conn_state
        self.links: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        pool.sem.acquire()  # never blocks: the caller saw a free place
        pool.waiting += 1
        self.listener = hub.add(hub.READ, conn_state[1].fileno(), self._readable, self._closed, _ignore)
        self.timer = hub.schedule_call_global(wait_s, self._timed_out)

    def link(self, func: Callable[..., Any], *args: Any) -> None:
        self.links.append((func, args))

    def _release(self) -> None:
        eventlet.hubs.get_hub().remove(self.listener)
        self.pool.waiting -= 1
        self.pool.sem.release()

    def _readable(self, fileno: int) -> None:
        self.timer.cancel()
        self._release()
        thread = eventlet.greenpool.GreenPool.spawn(self.pool, self.function, self.conn_state)
        for func, args in self.links:
            thread.link(func, *args)

    def _timed_out(self) -> None:
        self._release()
        for func, args in self.links:
            func(self, *args)  # eventlet.wsgi's clean-up: forget the connection, close its socket

    def _closed(self, *args: Any) -> None:
        self.timer.cancel()
        self._timed_out()


def _ignore(*args: Any) -> None:
    """The hub's callback for a descriptor it has stopped watching: nothing to do."""


class ConnectionPool(eventlet.greenpool.GreenPool):
    """A GreenPool whose ``spawn`` never blocks: a connection past the bound is refused.

    With ``first_byte_s``, a connection waits for its first byte (at most that long) before it
    gets a green thread; the protocol is told how much of its header timeout is left.
    """

    def __init__(self, size: int, retry_after_s: int = 1, on_refused: Callable[[], None] | None = None,
                 first_byte_s: Callable[[], float] | None = None) -> None:
        super().__init__(size)
        self.response = refusal_response(retry_after_s)
        self.refusing = 0
        self.refused = 0
        self.waiting = 0
        self.on_refused = on_refused
        self.first_byte_s = first_byte_s

    def spawn(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        conn_state = args[0]  # eventlet.wsgi's [address, socket, state]
        if self.free() > 0:
            if self.first_byte_s is None or kwargs:
                return super().spawn(function, *args, **kwargs)
            wait_s = self.first_byte_s()
            conn_state.append(time.monotonic() + wait_s)  # the protocol's header deadline
            return _FirstByte(self, function, conn_state, wait_s)
        self.refused += 1
        if self.on_refused is not None:
            self.on_refused()
        return eventlet.spawn(self._refuse, conn_state[1])

    def waitall(self) -> None:
        """On stop: give requests in flight a moment, then close whatever is still open.

        eventlet.wsgi waits for every connection to end on its own, which an idle client,
        a slow one or a WebSocket could make last as long as they like.
        """
        with eventlet.Timeout(SHUTDOWN_GRACE_S, False):
            super().waitall()
        for thread in list(self.coroutines_running):
            thread.kill()

    def _refuse(self, sock: Any) -> None:
        if self.refusing >= MAX_REFUSING:
            return  # eventlet.wsgi closes the socket when this returns
        self.refusing += 1
        try:
            sock.settimeout(REFUSAL_LINGER_S)
            sock.sendall(self.response)
            sock.shutdown(socket.SHUT_WR)
            # Read what the client sends until it closes (or the linger ends): closing with
            # unread input would reset the connection and could destroy the 503 before it is read.
            with eventlet.Timeout(REFUSAL_LINGER_S, False):
                while sock.recv(65536):
                    continue
        except OSError:
            return  # the client has gone: its socket is closed by eventlet.wsgi all the same
        finally:
            self.refusing -= 1


TESTED_EVENTLET = ((0, 36), (0, 42))  # [from, to): the hub API _FirstByte uses


def check_eventlet() -> None:
    """Fail clearly when eventlet is outside the range whose hub API this module was tested with."""
    from api.versions import require_tested

    require_tested("eventlet", *TESTED_EVENTLET, "api/connections.py", "its hub's add/remove")
    hub = eventlet.hubs.get_hub()
    if not all(hasattr(hub, name) for name in ("add", "remove", "schedule_call_global", "READ")):
        raise RuntimeError("eventlet's hub no longer offers add/remove/schedule_call_global/READ")


def fit_open_files(max_connections: int) -> int:
    """Raise the soft open-file limit to fit ``max_connections``; the bound that fits, if lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max_connections + MAX_REFUSING + RESERVED_FDS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new_soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):  # not allowed: keep the soft limit and fit the bound to it
            resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
            soft = new_soft
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return max_connections
    fitted = max(1, soft - MAX_REFUSING - RESERVED_FDS)
    log.warning("open-file limit %d: connections bounded at %d instead of %d", soft, fitted, max_connections)
    return fitted


def serve_eventlet(app: Any, host: str, port: int, limits: ConnectionLimits, protocol: type,
                   on_refused: Callable[[], None] | None = None) -> None:
    """Serve ``app`` on eventlet's WSGI server with ``limits``, until interrupted."""
    check_eventlet()
    family, _, _, _, address = eventlet.green.socket.getaddrinfo(host, port)[0]
    listener = eventlet.listen(address, family, backlog=LISTEN_BACKLOG)
    pool = ConnectionPool(limits.max_connections, limits.retry_after_s, on_refused,
                          first_byte_s=lambda: spread(limits.header_timeout_s))
    eventlet.wsgi.server(listener, app, custom_pool=pool, protocol=protocol, log_output=False, debug=False)

