"""Wiring the data directory into an app: recovery at start, journal, snapshots, shutdown."""
from __future__ import annotations

import gc
import logging
import os
import threading
import time
from typing import Any

from flask import Flask

from api.config import parse_duration_s
from api.errors import ApiError
from api.storage.recovery import recover
from api.storage.store import Store, encode_snapshot
from engine.matcher import MatchingEngine

log = logging.getLogger("api.storage")


def attach_store(app: Flask, engine: MatchingEngine, cfg: dict[str, Any], start_task: Any) -> Store | None:
    """Open the data directory, rebuild the engine from it, and journal from now on.

    Raises :class:`api.storage.StoreError` when the data cannot be trusted: the server
    must not start empty over existing data.
    """
    if not cfg.get("DATA_DIR") or cfg["FSYNC"] == "off":
        return None
    store = Store.open(cfg["DATA_DIR"], engine.symbols, cfg["FSYNC"], cfg["FSYNC_BATCH_MS"])
    try:
        recovery = recover(engine, store)
    except BaseException:
        store.close()
        raise
    log.info(recovery.describe(), extra={"file": str(store.path)})
    engine.journal = store
    store.start(start_task)
    app.extensions["me_store"] = store
    app.extensions["me_recovery"] = recovery
    stop = threading.Event()
    app.extensions["me_snapshot_stop"] = stop
    retention_s = parse_duration_s(cfg.get("HISTORY_RETENTION"))
    if retention_s is not None:
        start_task(_retention_loop, store, retention_s, stop)
    interval = float(cfg["SNAPSHOT_INTERVAL_S"])
    if interval > 0:
        start_task(_snapshot_loop, engine, store, interval, stop, cfg["SNAPSHOT_MODE"] == "fork")
    return store


def not_durable(store: Store, what: str, result: dict[str, Any]) -> ApiError:
    """The answer for an executed command whose journal record was not confirmed.

    A failed journal: the command ran in memory but is not durable (it will not survive
    a restart), and the engine executes nothing more.  A timeout: the outcome is unknown;
    the body carries the ids to look the order up with ``GET /order/<order_id>``.
    """
    ids = {k: result[k] for k in ("order_id", "client_order_id", "symbol") if k in result}
    if store.failed:
        return ApiError(503, "STORAGE_UNAVAILABLE", "JOURNAL_FAILED",
                        f"the journal could not be written: this {what} ran in memory but is not durable and will "
                        "not survive a restart; the server executes no more commands until it is restarted", **ids)
    return ApiError(503, "STORAGE_UNAVAILABLE", "OUTCOME_UNKNOWN",
                    f"the journal did not confirm this {what} in time, so its outcome is unknown; "
                    "look it up with GET /order/<order_id> before sending it again", **ids)


def take_snapshot(engine: MatchingEngine, store: Store, fork: bool = False) -> int:
    """Snapshot the engine at the journal position it has reached; return that position.

    With ``fork`` (where the OS has it), the state is exported and encoded by a forked
    child from its copy-on-write view of memory, so the engine is held only for the
    fork itself; otherwise the engine is held while the state is exported.
    """
    with store.snapshot_lock:  # one at a time: a final snapshot waits for one a child is still writing
        if fork and hasattr(os, "fork"):
            try:
                return _snapshot_in_child(engine, store)
            except OSError as exc:  # no memory or processes left for a child: hold the engine instead
                log.warning("cannot fork for a snapshot (%s); taking it inline", exc)
        with engine.lock:  # state and position must match exactly
            lsn = store.next_lsn - 1
            state = engine.snapshot_locked()
        store.write_snapshot(state, lsn)
        return lsn


def _snapshot_in_child(engine: MatchingEngine, store: Store) -> int:
    """Redis-style background save: the child writes the encoded state to a file, the parent stores it."""
    path = store.snapshot_temp_path()
    started = time.perf_counter()
    with engine.lock:  # the child's copy of memory is the state at exactly this position
        lsn = store.next_lsn - 1
        pid = os.fork()  # OSError here: nothing started, the caller falls back
        if pid == 0:  # the child: no locks, no logging, no sockets; only compute, write and leave
            code = 1
            try:
                gc.disable()  # a collection would touch every object and copy every page
                # Close every inherited descriptor: a client socket the parent closes meanwhile must close now.
                os.closerange(3, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536)
                blob = encode_snapshot(engine.snapshot_locked())
                with open(path, "wb") as out:
                    out.write(blob)
                    out.flush()
                    os.fsync(out.fileno())
                code = 0
            finally:
                os._exit(code)
    fork_done = time.perf_counter()
    try:
        _, status = os.waitpid(pid, 0)  # under eventlet, its green waitpid: other requests go on meanwhile
        if status != 0:
            raise RuntimeError(f"the snapshot child exited with status {status}")
        forked = time.perf_counter()
        store.install_snapshot(path, lsn)
        log.info("snapshot child done", extra={"lsn": lsn, "fork_ms": round((fork_done - started) * 1000, 1),
                                              "child_s": round(forked - fork_done, 3),
                                              "install_s": round(time.perf_counter() - forked, 3)})
    finally:
        path.unlink(missing_ok=True)
    return lsn


def _retention_loop(store: Store, retention_s: int, stop: threading.Event) -> None:
    """Delete history past the retention: at start, then every tenth of it (at least a second, at most a minute)."""
    interval = min(60.0, max(1.0, retention_s / 10))
    while True:
        if not store.failed:
            try:
                trades, orders = store.prune_history(time.time_ns() - retention_s * 1_000_000_000)
                if trades or orders:
                    log.info("history pruned", extra={"trades": trades, "orders": orders})
            except Exception:
                log.exception("history pruning failed")
        if stop.wait(interval):
            return


def _snapshot_loop(engine: MatchingEngine, store: Store, interval_s: float, stop: threading.Event,
                   fork: bool) -> None:
    while not stop.wait(interval_s):
        if store.next_lsn - 1 > store.snapshot_lsn and not store.failed:
            try:
                started = time.perf_counter()
                lsn = take_snapshot(engine, store, fork=fork)
                log.info("snapshot written", extra={"lsn": lsn, "seconds": round(time.perf_counter() - started, 3)})
            except Exception:
                log.exception("snapshot failed")


def close_store(app: Flask, snapshot: bool = True) -> None:
    """Clean shutdown: a final snapshot, then everything flushed and closed."""
    store: Store | None = app.extensions.get("me_store")
    if store is None:
        return
    app.extensions["me_snapshot_stop"].set()
    if snapshot and store.failed:
        # The state in memory holds commands the journal never recorded: it must not become durable.
        log.error("the journal failed: no final snapshot")
    elif snapshot:
        try:
            take_snapshot(app.extensions["matching_engine"], store)
        except Exception:
            log.exception("final snapshot failed")
    store.close()
    app.extensions.pop("me_store", None)
