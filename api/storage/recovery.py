"""Start-up: load the newest snapshot, execute the journal's commands after it, check every record."""
from __future__ import annotations

import gc
import json
import logging
import struct
import time
import zlib
from dataclasses import dataclass
from typing import Any

from api.storage.records import LENGTH, checksum, decode, spans
from api.storage.store import Store, StoreError
from engine.errors import ResultCode
from engine.matcher import MatchingEngine
from engine.results import EXECUTED_CODES

log = logging.getLogger("api.storage")


def counted(n: int, noun: str) -> str:
    """'1 record', '2 records', '1,000 records'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


@dataclass
class Recovery:
    snapshot_lsn: int
    replayed: int
    last_lsn: int
    seconds: float

    def describe(self) -> str:
        return (f"recovered: snapshot at record {self.snapshot_lsn}, {counted(self.replayed, 'journal record')} replayed "
                f"in {self.seconds:.2f} s (last record {self.last_lsn})")


def load_snapshot(store: Store, upto: int | None = None) -> tuple[int, dict[str, Any] | None]:
    """The newest snapshot (at or before record ``upto``), checked: ``(its record, its state)``."""
    row = store.newest_snapshot(upto)
    if row is None:
        return 0, None
    lsn, stored, crc = row
    blob = store.snapshot_state(lsn, stored)
    if checksum(lsn, blob) != crc:
        raise StoreError(f"{store.path}: the snapshot at record {lsn} fails its checksum; refusing to start")
    return lsn, json.loads(zlib.decompress(blob))


def recover(engine: MatchingEngine, store: Store, upto: int | None = None, base: int | None = None) -> Recovery:
    """Bring an engine with empty books to the state the data directory describes (up to record ``upto``).

    Restore the newest snapshot (at or before record ``base`` if given; ``base=0``: none),
    then ``execute`` every recorded command after it: the same code as live commands.
    Every batch must pass its checksum: a committed batch that fails it is corruption,
    never a write to drop quietly, so start-up stops with the file and the records named
    (``matching-engine journal truncate`` is the way past it).  A gap, or a record that
    does not apply, stops start-up the same way.
    """
    started = time.perf_counter()
    snap_lsn, state = load_snapshot(store, upto if base is None else base)
    if state is not None:
        try:
            engine.restore(state)
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{store.path}: the snapshot at record {snap_lsn} does not fit this engine: {exc}") from None
    floors = [f for f in store.id_floors() if f[0] >= snap_lsn]  # id floors left by truncations, oldest first
    journal, engine.journal = engine.journal, None  # replayed commands are not journaled again
    # Replay builds many long-lived objects and no reference cycles: collecting while it
    # runs would rescan the growing book again and again for nothing.
    gc_enabled = gc.isenabled()
    gc.disable()
    replayed = 0
    expected = None
    symbols = store.symbols
    execute = engine.execute_locked
    length = LENGTH.unpack_from
    executed_codes = EXECUTED_CODES
    engine.lock.acquire()  # one acquisition for the whole replay; nothing else runs yet
    try:
        for first, count, blob, crc in store.journal_rows(snap_lsn, upto):
            if expected is not None and first != expected:
                raise StoreError(f"{store.path}: journal records {expected} to {first - 1} are missing; refusing to start")
            if first > snap_lsn + 1 and expected is None:
                raise StoreError(f"{store.path}: journal records {snap_lsn + 1} to {first - 1} are missing; "
                                 "refusing to start")
            if checksum(first, blob) != crc:
                where = f"journal records {first} to {first + count - 1} (batch at {first})"
                raise StoreError(
                    f"{store.path}: {where} are corrupt (checksum mismatch in a committed batch); refusing to start. "
                    f"`matching-engine journal truncate --after {first - 1} --data-dir {store.path.parent}` "
                    "discards them and everything after, and prints what it discards")
            if count == 1 and first > snap_lsn and not floors:
                # A batch of one record (every commit under light load), the common case: no walk of the batch.
                size = len(blob)
                if size > 2 and length(blob)[0] == size - 2:
                    try:
                        result = execute(decode(blob, symbols, 2, size))  # the same execute as live commands
                        if result.code not in executed_codes:
                            raise ValueError(_not_applied(result.code))
                    except (ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
                        raise _unreplayable(store, first, exc) from None
                    replayed += 1
                    expected = first + 1
                    continue
            lsn = first
            try:
                for start, stop in spans(blob):
                    if lsn > snap_lsn:  # a snapshot may fall inside a batch
                        while floors and floors[0][0] < lsn:
                            _raise_ids(engine, floors.pop(0))
                        result = execute(decode(blob, symbols, start, stop))  # the same execute as live commands
                        if result.code not in executed_codes:
                            raise ValueError(_not_applied(result.code))
                        replayed += 1
                    lsn += 1
            except (ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
                raise _unreplayable(store, lsn, exc) from None
            if lsn != first + count:
                where = f"journal records {first} to {first + count - 1} (batch at {first})"
                raise StoreError(f"{store.path}: {where} hold {lsn - first} records, not {count}; refusing to start")
            expected = first + count
        last_applied = (expected - 1) if expected is not None else snap_lsn
        while floors and floors[0][0] <= last_applied:
            _raise_ids(engine, floors.pop(0))
    finally:
        engine.lock.release()
        engine.journal = journal
        if gc_enabled:
            gc.enable()
    return Recovery(snap_lsn, replayed, last_applied, time.perf_counter() - started)


def _not_applied(code: ResultCode) -> str:
    return f"it does not apply to the state before it ({code.value})"


def _unreplayable(store: Store, lsn: int, why: Exception) -> StoreError:
    return StoreError(f"{store.path}: journal record {lsn} cannot be replayed: {why}")


def _raise_ids(engine: MatchingEngine, floor: tuple[int, int, int]) -> None:
    """Apply an id floor: ids handed out by discarded records are never handed out again."""
    _, order_id, trade_id = floor
    ids = engine.ids
    ids.next_order_id = max(ids.next_order_id, order_id)
    ids.next_trade_id = max(ids.next_trade_id, trade_id)
