"""Start-up: load the newest snapshot, replay the journal after it, check every record."""
from __future__ import annotations

import gc
import json
import logging
import struct
import time
import zlib
from dataclasses import dataclass
from typing import Any

from api.storage.records import LENGTH, SIDES, SUBMIT, SUBMIT_FORMAT, TYPES, checksum, replay_locked
from api.storage.store import Store, StoreError
from engine.matcher import MatchingEngine
from engine.state import import_state

log = logging.getLogger("api.storage")


def counted(n: int, noun: str) -> str:
    """'1 record', '2 records', '1,000 records'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


@dataclass
class Recovery:
    snapshot_lsn: int
    replayed: int
    last_lsn: int
    torn_record_dropped: int | None
    seconds: float

    def describe(self) -> str:
        text = (f"recovered: snapshot at record {self.snapshot_lsn}, {counted(self.replayed, 'journal record')} replayed "
                f"in {self.seconds:.2f} s (last record {self.last_lsn})")
        if self.torn_record_dropped is not None:
            text += f"; dropped an incomplete last batch at record {self.torn_record_dropped}"
        return text


def load_snapshot(store: Store) -> tuple[int, dict[str, Any] | None]:
    row = store.conn.execute("SELECT lsn, state, crc FROM snapshots ORDER BY lsn DESC LIMIT 1").fetchone()
    if row is None:
        return 0, None
    lsn, blob, crc = row
    if checksum(lsn, blob) != crc:
        raise StoreError(f"{store.path}: the snapshot at record {lsn} fails its checksum; refusing to start")
    return lsn, json.loads(zlib.decompress(blob))


def recover(engine: MatchingEngine, store: Store, dry_run: bool = False) -> Recovery:
    """Bring an engine with empty books to the state the data directory describes.

    A last batch that fails its checksum is a write that never completed (under
    ``always`` none of it was acknowledged): it is dropped and logged (left in place
    with ``dry_run``).  Any other bad batch stops start-up with the file and the
    records' positions.
    """
    started = time.perf_counter()
    snap_lsn, state = load_snapshot(store)
    if state is not None:
        try:
            import_state(engine, state)
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{store.path}: the snapshot at record {snap_lsn} does not fit this engine: {exc}") from None
    last = store.conn.execute("SELECT MAX(lsn) FROM journal").fetchone()[0] or 0
    journal, engine.journal = engine.journal, None  # replayed commands are not journaled again
    # Replay builds many long-lived objects and no reference cycles: collecting while it
    # runs would rescan the growing book again and again for nothing.
    gc_enabled = gc.isenabled()
    gc.disable()
    replayed = 0
    torn = None
    expected = None
    symbols = store.symbols
    apply_submit = engine.apply_submit_locked
    unpack_submit, submit_size, length = SUBMIT_FORMAT.unpack_from, SUBMIT_FORMAT.size, LENGTH.unpack_from
    engine.lock.acquire()  # one acquisition for the whole replay; nothing else runs yet
    try:
        cur = store.conn.execute("SELECT lsn, count, recs, crc FROM journal WHERE lsn + count - 1 > ? ORDER BY lsn",
                                 (snap_lsn,))
        for first, count, blob, crc in cur:
            if expected is not None and first != expected:
                raise StoreError(f"{store.path}: journal records {expected} to {first - 1} are missing; refusing to start")
            if first > snap_lsn + 1 and expected is None:
                raise StoreError(f"{store.path}: journal records {snap_lsn + 1} to {first - 1} are missing; "
                                 "refusing to start")
            where = f"journal records {first} to {first + count - 1} (batch at {first})"
            if checksum(first, blob) != crc:
                if first == last:
                    torn = first
                    break
                raise StoreError(f"{store.path}: {where} are corrupt (checksum mismatch); refusing to start")
            lsn, offset, end = first, 0, len(blob)
            try:
                while offset < end:
                    (size,) = length(blob, offset)
                    start = offset + 2
                    offset = start + size
                    if lsn > snap_lsn:  # a snapshot may fall inside a batch
                        if blob[start] == SUBMIT:  # records.replay, inlined: this runs once per record
                            _, sym, side, otype, post, oid, ts, qty, price = unpack_submit(blob, start)
                            apply_submit(symbols[sym], SIDES[side], TYPES[otype], qty, None if price < 0 else price,
                                         blob[start + submit_size:offset].decode() if size > submit_size else None,
                                         post == 1, oid, ts)
                        else:
                            replay_locked(engine, blob[start:offset], symbols)
                        replayed += 1
                    lsn += 1
            except (ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
                raise StoreError(f"{store.path}: journal record {lsn} cannot be replayed: {exc}") from None
            if lsn != first + count:
                raise StoreError(f"{store.path}: {where} hold {lsn - first} records, not {count}; refusing to start")
            expected = first + count
    finally:
        engine.lock.release()
        engine.journal = journal
        if gc_enabled:
            gc.enable()
    if torn is not None and not dry_run:
        log.warning("dropping an incomplete last journal batch", extra={"file": str(store.path), "lsn": torn})
        with store.conn:
            store.conn.execute("DELETE FROM journal WHERE lsn = ?", (torn,))
        store.next_lsn = store._pending_first = torn
        store.durable_lsn = torn - 1
    last_applied = (expected - 1) if expected is not None else snap_lsn
    return Recovery(snap_lsn, replayed, last_applied, torn, time.perf_counter() - started)
