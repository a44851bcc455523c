"""Limits on ``/market`` clients: how fast one may (un)subscribe, and how much output may wait for it.

A subscriber that stops reading costs nothing to the others (an emit only appends to its own
Engine.IO queue; its writer task blocks alone), but its queue would grow until the ping
timeout. :func:`disconnect_slow_consumers` ends the session of any client whose queue holds
more than a bound, drops what was queued, and stops routing messages to it.

The queue is python-engineio's ``Socket.queue`` (and the sid mapping python-socketio's manager):
internals, checked by :func:`check_internals` and pinned in pyproject.toml to the tested range.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("api.feeds")

TESTED_ENGINEIO = ((4, 9), (5, 0))  # [from, to)


def check_internals(sio_server: Any) -> None:
    """Fail clearly when python-socketio / python-engineio lack what this module reads."""
    from api.versions import require_tested

    require_tested("python-engineio", *TESTED_ENGINEIO, "api/feed_limits.py", "its Socket.queue")
    if not hasattr(sio_server.manager, "eio_sid_from_sid") or not hasattr(sio_server.eio, "sockets"):
        raise RuntimeError("python-socketio / python-engineio no longer offer manager.eio_sid_from_sid or "
                           "eio.sockets, which api/feed_limits.py reads")


class SubscribeRate:
    """A token bucket per connection: ``rate`` (un)subscribe messages a second, bursts of ``rate``."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # sid -> (tokens, when)

    def allow(self, sid: str) -> bool:
        """Take a token for ``sid``; False when it has none left. O(1)."""
        now = self.clock()
        tokens, then = self._buckets.get(sid, (self.rate, now))
        tokens = min(self.rate, tokens + (now - then) * self.rate)
        if tokens < 1.0:
            self._buckets[sid] = (tokens, now)
            return False
        self._buckets[sid] = (tokens - 1.0, now)
        return True

    def forget(self, sid: str) -> None:
        self._buckets.pop(sid, None)


def pending_messages(sio_server: Any, sid: str, namespace: str) -> int | None:
    """Messages queued for a Socket.IO client and not yet handed to its transport; None if gone."""
    eio_sid = sio_server.manager.eio_sid_from_sid(sid, namespace)
    eio_socket = sio_server.eio.sockets.get(eio_sid) if eio_sid is not None else None
    if eio_socket is None or eio_socket.closed:
        return None
    return eio_socket.queue.qsize()


def disconnect_slow_consumers(sio_server: Any, sids: Iterable[str], namespace: str, max_pending: int) -> list[str]:
    """End the sessions of the clients among ``sids`` with more than ``max_pending`` messages queued.

    The session ends at once (the disconnect handler runs, nothing more is routed to it) and its
    queued messages are dropped; its TCP connection closes when the message being written to it
    goes through or the transport's send timeout (ping interval + ping timeout) expires.
    """
    dropped = []
    for sid in list(sids):
        pending = pending_messages(sio_server, sid, namespace)
        if pending is None or pending <= max_pending:
            continue
        eio_socket = sio_server.eio.sockets.get(sio_server.manager.eio_sid_from_sid(sid, namespace))
        if eio_socket is None:
            continue
        queue = eio_socket.queue
        eio_socket.close(wait=False, abort=True)
        while not queue.empty():  # let its messages go now, not when the writer gives up
            queue.get_nowait()
            queue.task_done()
        queue.put(None)  # wakes the writer so that it ends once its current write does
        log.warning("slow consumer disconnected", extra={"sid": sid, "pending_messages": pending})
        dropped.append(sid)
    return dropped
