"""Start-up: load the newest snapshot, replay the journal after it, check every record."""
from __future__ import annotations

import gc
import json
import logging
import struct
from zlib import crc32
import time
import zlib
from dataclasses import dataclass
from typing import Any

from api.storage.records import SIDES, SUBMIT, SUBMIT_FORMAT, TYPES, checksum, replay
from api.storage.store import Store, StoreError
from engine.matcher import MatchingEngine
from engine.state import import_state

log = logging.getLogger("api.storage")


@dataclass
class Recovery:
    snapshot_lsn: int
    replayed: int
    last_lsn: int
    torn_record_dropped: int | None
    seconds: float

    def describe(self) -> str:
        text = (f"recovered: snapshot at record {self.snapshot_lsn}, {self.replayed:,} journal records replayed "
                f"in {self.seconds:.2f} s (last record {self.last_lsn})")
        if self.torn_record_dropped is not None:
            text += f"; dropped an incomplete last record at {self.torn_record_dropped}"
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

    A last record that fails its checksum is a write that never completed (it was
    never acknowledged): it is dropped and logged (left in place with ``dry_run``).
    Any other bad record stops start-up with the file and the record's position.
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
    expected = snap_lsn + 1
    symbols = store.symbols
    apply_submit = engine.apply_submit
    unpack_submit, submit_size = SUBMIT_FORMAT.unpack_from, SUBMIT_FORMAT.size
    try:
        cur = store.conn.execute("SELECT lsn, rec, crc FROM journal WHERE lsn > ? ORDER BY lsn", (snap_lsn,))
        for lsn, rec, crc in cur:
            if lsn != expected:
                raise StoreError(f"{store.path}: journal record {expected} is missing (next is {lsn}); refusing to start")
            if crc32(rec, lsn & 0xFFFFFFFF) != crc:  # records.checksum, inlined
                if lsn == last:
                    torn = lsn
                    break
                raise StoreError(f"{store.path}: journal record {lsn} of {last} is corrupt (checksum mismatch); "
                                 "refusing to start")
            try:
                if rec[0] == SUBMIT:  # records.replay, inlined: this loop runs once per record
                    _, sym, side, otype, post, oid, ts, qty, price = unpack_submit(rec)
                    apply_submit(symbols[sym], SIDES[side], TYPES[otype], qty, None if price < 0 else price,
                                 rec[submit_size:].decode() if len(rec) > submit_size else None, post == 1, oid, ts)
                else:
                    replay(engine, rec, symbols)
            except (ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
                raise StoreError(f"{store.path}: journal record {lsn} cannot be replayed: {exc}") from None
            replayed += 1
            expected = lsn + 1
    finally:
        engine.journal = journal
        if gc_enabled:
            gc.enable()
    if torn is not None and not dry_run:
        log.warning("dropping incomplete last journal record", extra={"file": str(store.path), "lsn": torn})
        with store.conn:
            store.conn.execute("DELETE FROM journal WHERE lsn = ?", (torn,))
        store.next_lsn = torn
        store.durable_lsn = torn - 1
    return Recovery(snap_lsn, replayed, expected - 1, torn, time.perf_counter() - started)
