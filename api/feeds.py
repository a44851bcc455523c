"""Socket.IO namespace ``/market``: subscriptions, and publishing engine events to rooms.

The engine calls :meth:`FeedPublisher.on_event` inside its lock, so that method only
appends to a queue, with the journal position the event belongs to.  Under ``fsync=always``
nothing leaves the queue before the journal holds its position durably (the store wakes the
publisher after each commit), and a book snapshot is sent only once everything it shows is
durable: a subscriber never sees a trade that a crash could take back.  A background task drains the queue and emits: ``trade`` and
``order_event`` to the symbol's room, and at most one conflated ``l2_update`` per
symbol per interval, always built from the book's latest state. Clients are held to the
limits of ``api/feed_limits.py``: (un)subscribe messages per second, and queued output.

``trades`` and ``l2_updates`` are public.  ``orders`` is private: a client that connected
with ``auth={"api_key": ...}`` receives its own account's order events only (room
``orders:<account>:<symbol or *>``); a bad key is refused at connect.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from typing import Any

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, SocketIO, emit, join_room, leave_room

from api.auth import BAD_KEY, guard_of
from api.errors import ApiError
from api.feed_limits import SubscribeRate, disconnect_slow_consumers
from engine.events import Event, LevelChanged, TradeExecuted
from engine.matcher import MatchingEngine

log = logging.getLogger("api.feeds")
NAMESPACE = "/market"
SUB_TYPES = ("l2_updates", "trades", "orders")
ALL_SYMBOLS = "*"
SWEEP_INTERVAL_S = 0.1  # how often queued output is checked against its bound


def room_name(kind: str, symbol: str) -> str:
    return f"{kind}:{symbol}"


def subscription_room(kind: str, symbol: str, account: int | None = None) -> str:
    """The room of a subscription type (l2_updates, trades, orders) for a symbol (orders: of one account)."""
    if kind == "orders":
        return orders_room(account, symbol)  # type: ignore[arg-type]
    return room_name("l2" if kind == "l2_updates" else kind, symbol)


def orders_room(account: int, symbol: str) -> str:
    return f"orders:{account}:{symbol}"


def account_room(account: int) -> str:
    """Every client signed in as the account joins it at connect: its ``account`` (balances) events."""
    return f"account:{account}"


class FeedPublisher:
    def __init__(self, socketio: SocketIO, engine: MatchingEngine, interval_s: float, depth: int, metrics: Any,
                 max_pending: int = 1000, subscribe_rate: float = 20.0) -> None:
        self.socketio = socketio
        self.engine = engine
        self.interval_s = interval_s
        self.depth = depth
        self.metrics = metrics
        self._queue: deque[tuple[int, Event]] = deque()  # (journal position, event)
        self.journal: Any = None  # under fsync=always, the store: events wait until they are durable
        self._position: dict[str, int] = {}  # symbol -> journal position of the newest record that changed it
        self._dirty: set[str] = set()
        self._awaiting_commit: set[str] = set()  # dirty books whose latest change is not durable yet
        self._accounts_changed: dict[int, int] = {}  # account -> journal position of its newest balance change
        self._last_l2: dict[str, float] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._members: dict[str, set[str]] = {}   # room -> sids
        self._rooms_of: dict[str, set[str]] = {}  # sid -> rooms
        self.account_of: dict[str, int] = {}  # sid -> the account it signed in as
        self.key_of: dict[str, str] = {}  # sid -> the key id it signed in with
        self._task: Any = None
        self.max_pending = max_pending
        self.subscribe_rate = SubscribeRate(subscribe_rate)
        self._last_sweep = 0.0

    # ---- subscription bookkeeping (so unsubscribed symbols cost nothing) -------

    def has_listeners(self, room: str) -> bool:
        return bool(self._members.get(room))

    def joined(self, sid: str, room: str) -> None:
        with self._lock:
            self._members.setdefault(room, set()).add(sid)
            self._rooms_of.setdefault(sid, set()).add(room)

    def left(self, sid: str, room: str) -> None:
        with self._lock:
            self._members.get(room, set()).discard(sid)
            self._rooms_of.get(sid, set()).discard(room)

    def gone(self, sid: str) -> None:
        with self._lock:
            for room in self._rooms_of.pop(sid, set()):
                self._members.get(room, set()).discard(sid)
            self.account_of.pop(sid, None)
            self.key_of.pop(sid, None)
        self.subscribe_rate.forget(sid)

    def drop_signed_in(self, account_id: int | None = None, key_id: str | None = None) -> int:
        """Disconnect the clients signed in as ``account_id`` or with ``key_id`` (it was disabled or revoked)."""
        with self._lock:
            sids = [sid for sid, account in self.account_of.items()
                    if account == account_id or (key_id is not None and self.key_of.get(sid) == key_id)]
        for sid in sids:
            self.socketio.server.disconnect(sid, namespace=NAMESPACE)
        return len(sids)

    def sweep_slow_consumers(self) -> list[str]:
        """Disconnect subscribers whose queued output passed ``max_pending`` messages."""
        self._last_sweep = time.monotonic()
        dropped = disconnect_slow_consumers(self.socketio.server, list(self._rooms_of), NAMESPACE, self.max_pending)
        if dropped:
            self.metrics.slow_consumers.inc(len(dropped))
        return dropped

    # ---- engine side -----------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Engine listener: enqueue only; runs inside the engine lock, after the journal took the command."""
        symbol = event.symbol
        journal = self.journal
        position = journal.next_lsn - 1 if journal is not None else 0
        self._position[symbol] = position  # the newest record that changed this symbol
        if isinstance(event, LevelChanged):
            if symbol not in self._dirty:
                self._dirty.add(symbol)
                self._wake.set()
            return
        if isinstance(event, TradeExecuted):
            trade = event.trade
            for account in (trade.maker_account, trade.taker_account):
                if account is not None and self._members.get(account_room(account)):
                    self._accounts_changed[account] = position
            if not (self._members.get(room_name("trades", symbol)) or self._members.get(room_name("trades", ALL_SYMBOLS))):
                return
        else:
            account = event.account  # type: ignore[attr-defined]
            if account is not None and self._members.get(account_room(account)):
                self._accounts_changed[account] = position  # an order locked or released funds
                self._wake.set()
            if account is None or not (self._members.get(orders_room(account, symbol))
                                       or self._members.get(orders_room(account, ALL_SYMBOLS))):
                return
        self._queue.append((position, event))
        self._wake.set()

    # ---- publishing ------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = self.socketio.start_background_task(self._run)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        """Publish what has become publishable (the journal calls this after each commit)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._next_timeout())
            self._wake.clear()
            try:
                self.publish_pending()
                if self._rooms_of and time.monotonic() - self._last_sweep >= SWEEP_INTERVAL_S:
                    self.sweep_slow_consumers()
            except Exception:  # keep publishing whatever one bad message did
                log.exception("feed publishing failed")

    def _next_timeout(self) -> float:
        # A book waiting for its commit is not due again until the store wakes the publisher after the
        # commit: counting it would make the wait 0 and spin the publisher, and under eventlet a loop that
        # never waits never lets the committer run, so the commit would never come.
        due = self._dirty - self._awaiting_commit
        if not due:
            return SWEEP_INTERVAL_S if self._rooms_of or self._awaiting_commit else 1.0
        now = time.monotonic()
        waits = [self._last_l2.get(s, 0.0) + self.interval_s - now for s in due]
        return max(0.0, min(waits))

    def publish_pending(self) -> None:
        """Emit queued trade/order events, then due l2 snapshots."""
        queue, sio, engine = self._queue, self.socketio, self.engine
        emitted = {"trade": 0, "order_event": 0, "l2_update": 0}
        self.metrics.feed_queue.set(len(queue))
        durable = self.durable_position()
        while queue and queue[0][0] <= durable:
            _, event = queue.popleft()
            payload = engine.event_to_dict(event)
            if isinstance(event, TradeExecuted):
                rooms = [r for r in (room_name("trades", event.symbol), room_name("trades", ALL_SYMBOLS))
                         if self.has_listeners(r)]
                sio.emit("trade", payload, namespace=NAMESPACE, to=rooms)
                emitted["trade"] += 1
            else:
                account = event.account  # type: ignore[attr-defined]
                rooms = [r for r in (orders_room(account, event.symbol), orders_room(account, ALL_SYMBOLS))
                         if self.has_listeners(r)]
                sio.emit("order_event", payload, namespace=NAMESPACE, to=rooms)
                emitted["order_event"] += 1
        if self._accounts_changed:
            self.publish_balances(durable)
        now = time.monotonic()
        self._awaiting_commit.clear()
        for symbol in list(self._dirty):
            if now - self._last_l2.get(symbol, 0.0) < self.interval_s:
                continue
            room = room_name("l2", symbol)
            snap = self.durable_snapshot(symbol) if self.has_listeners(room) else None
            if snap is None and self.has_listeners(room):
                self._awaiting_commit.add(symbol)
                continue  # it shows changes not yet durable: sent after the next commit
            self._dirty.discard(symbol)
            self._last_l2[symbol] = now
            if snap is not None:
                sio.emit("l2_update", snap, namespace=NAMESPACE, to=room)
                emitted["l2_update"] += 1
        for name, count in emitted.items():
            if count:
                self.metrics.feed_emits.labels(name).inc(count)

    def account_changed(self, account_id: int) -> None:
        """A deposit or withdrawal (already durable): send the account its balances."""
        if self._members.get(account_room(account_id)):
            self._accounts_changed.setdefault(account_id, 0)  # never lower a pending order's position
            self._wake.set()

    def publish_balances(self, durable: float) -> None:
        """Send each changed account whose change is durable its balances (``account`` event), once per round."""
        from api.accounts import account_dict

        engine = self.engine
        for account_id, position in list(self._accounts_changed.items()):
            if position > durable:
                continue
            if self._accounts_changed.get(account_id) == position:  # not raised meanwhile by a newer change
                del self._accounts_changed[account_id]
            account = engine.accounts.by_id.get(account_id)
            if account is None:
                continue
            with engine.lock:
                payload = account_dict(account, engine)
            self.socketio.emit("account", payload, namespace=NAMESPACE, to=account_room(account_id))
            self.metrics.feed_emits.labels("account").inc()

    def durable_position(self) -> float:
        """The journal position up to which events may be published (everything without a journal)."""
        journal = self.journal
        return journal.durable_lsn if journal is not None else math.inf

    def durable_snapshot(self, symbol: str) -> dict[str, Any] | None:
        """The book's top levels, or None if they show a change the journal does not yet hold durably."""
        snap = self.engine.get_book_snapshot(symbol, self.depth)
        journal = self.journal
        # read after the snapshot: every record of this symbol it reflects is at or before this position
        if journal is not None and self._position.get(symbol, 0) > journal.durable_lsn:
            return None
        snap["type"] = "snapshot"
        return snap

    def snapshot(self, symbol: str, wait_s: float = 2.0) -> dict[str, Any] | None:
        """A durable snapshot for a new subscriber, waiting up to ``wait_s`` for the journal to catch up."""
        snap = self.durable_snapshot(symbol)
        if snap is None and self.journal is not None and self.journal.wait_durable(wait_s):
            snap = self.durable_snapshot(symbol)
        if snap is None:  # sent with the symbol's next book update instead, once it is durable
            self._dirty.add(symbol)
            self._wake.set()
        return snap


# ---- /market handlers: registered once, they find the app's engine and feed ------

def _feed() -> FeedPublisher:
    return current_app.extensions["me_feed"]


def _error(reason: str, message: str) -> None:
    emit("error", {"error": message, "error_code": "SUBSCRIPTION_ERROR", "reason": reason})


def _parse_subscription(data: Any) -> tuple[str, str] | None:
    feed = _feed()
    if not feed.subscribe_rate.allow(request.sid):  # type: ignore[attr-defined]
        feed.metrics.subscribe_refused.inc()
        emit("error", {"error": f"more than {feed.subscribe_rate.rate:g} subscribe/unsubscribe messages a second; "
                                "this one was ignored", "error_code": "RATE_LIMITED", "reason": "TOO_MANY_SUBSCRIPTIONS"})
        return None
    if not isinstance(data, dict):
        _error("INVALID_PAYLOAD", "expected an object such as {\"type\": \"l2_updates\", \"symbol\": \"BTC-USDT\"}")
        return None
    kind = data.get("type")
    if kind not in SUB_TYPES:
        _error("INVALID_TYPE", f"type must be one of {', '.join(SUB_TYPES)}")
        return None
    symbol = data.get("symbol")
    if kind == "orders" and request.sid not in feed.account_of:  # type: ignore[attr-defined]
        emit("error", {"error": "orders is a private feed: connect with auth={\"api_key\": \"<your key>\"}",
                       "error_code": "UNAUTHENTICATED", "reason": "API_KEY_REQUIRED"})
        return None
    if symbol is None and kind in ("trades", "orders"):
        return kind, ALL_SYMBOLS
    if not isinstance(symbol, str) or symbol not in _feed().engine.symbols:
        _error("UNKNOWN_SYMBOL", f"symbol {str(symbol)[:40]!r} is not traded here")
        return None
    return kind, symbol


def on_connect(auth: Any = None) -> None:
    feed = _feed()
    key = auth.get("api_key") if isinstance(auth, dict) else auth
    account = None
    if key is not None:
        try:
            account = guard_of(current_app).account(key if isinstance(key, str) else None, request.remote_addr or "")
        except ApiError as exc:  # 401: a bad key; 429: one bad key too many from this address
            text = BAD_KEY if exc.status == 401 and key else exc.message
            raise ConnectionRefusedError(text, {"error": text, "error_code": exc.error_code,
                                                "reason": exc.reason}) from None
        with feed._lock:
            feed.account_of[request.sid] = account.account_id  # type: ignore[attr-defined]
            feed.key_of[request.sid] = key.split("_")[1]  # type: ignore[attr-defined]
        join_room(account_room(account.account_id))
        feed.joined(request.sid, account_room(account.account_id))  # type: ignore[attr-defined]
    feed.metrics.sockets.inc()
    emit("connected", {"status": "connected", "session_id": request.sid,  # type: ignore[attr-defined]
                       "timestamp": time.time(), "symbols": feed.engine.symbols,
                       "account": None if account is None else {"account_id": account.account_id, "name": account.name}})


def on_disconnect(reason: Any = None) -> None:
    feed = _feed()
    feed.metrics.sockets.dec()
    feed.gone(request.sid)  # type: ignore[attr-defined]


def on_subscribe(data: Any = None) -> None:
    parsed = _parse_subscription(data)
    if parsed is None:
        return
    kind, symbol = parsed
    feed = _feed()
    room = subscription_room(kind, symbol, feed.account_of.get(request.sid))  # type: ignore[attr-defined]
    join_room(room)
    feed.joined(request.sid, room)  # type: ignore[attr-defined]
    if kind == "l2_updates":
        snap = feed.snapshot(symbol)
        if snap is not None:
            emit("l2_update", snap)
    emit("subscribed", {"type": kind, "symbol": None if symbol == ALL_SYMBOLS else symbol})


def on_unsubscribe(data: Any = None) -> None:
    parsed = _parse_subscription(data)
    if parsed is None:
        return
    kind, symbol = parsed
    room = subscription_room(kind, symbol, _feed().account_of.get(request.sid))  # type: ignore[attr-defined]
    leave_room(room)
    _feed().left(request.sid, room)  # type: ignore[attr-defined]
    emit("unsubscribed", {"type": kind, "symbol": None if symbol == ALL_SYMBOLS else symbol})


def on_ping(data: Any = None) -> None:
    client_ts = data.get("timestamp") if isinstance(data, dict) else None
    emit("pong", {"timestamp": time.time(), "client_timestamp": client_ts})


def register_handlers(socketio: SocketIO) -> None:
    """Bind the /market handlers to one app's Socket.IO server."""
    for name, handler in (("connect", on_connect), ("disconnect", on_disconnect), ("subscribe", on_subscribe),
                          ("unsubscribe", on_unsubscribe), ("ping", on_ping)):
        socketio.on_event(name, handler, namespace=NAMESPACE)
