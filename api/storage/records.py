"""The journal's binary format (version 1) and its checksum.

The journal stores one row per group commit: the position (lsn) of its first
record, how many records it holds, and the records one after the other, each
preceded by its length (H, little-endian).  A record:

submit: B kind=1, H symbol index, B side, B order type, B post_only, q order_id, q ts_ns,
        q qty_lots, q price_ticks (-1 for none), then the client order id in UTF-8
cancel: B kind=2, H symbol index, q order_id, q ts_ns

The checksum is the CRC-32 of a row's bytes seeded with its first position, so a
batch that moved or changed is caught.
"""
from __future__ import annotations

import struct
import zlib
from typing import Iterator

from engine.commands import Cancel, Command, Submit
from engine.order import BUY, FOK, IOC, LIMIT, MARKET, SELL

FORMAT_VERSION = 1
SUBMIT, CANCEL = 1, 2
_SUBMIT = struct.Struct("<BHBBBqqqq")
_CANCEL = struct.Struct("<BHqq")
_SUBMIT_SIZE = _SUBMIT.size
LENGTH = struct.Struct("<H")
SIDES = (BUY, SELL)
TYPES = (LIMIT, MARKET, IOC, FOK)
_SIDE_CODE = {s: i for i, s in enumerate(SIDES)}
_TYPE_CODE = {t: i for i, t in enumerate(TYPES)}


def encode(command: Command, symbol_index: dict[str, int]) -> bytes:
    """One stamped command (with its order id and time) as a record."""
    if isinstance(command, Submit):
        head = _SUBMIT.pack(SUBMIT, symbol_index[command.symbol], _SIDE_CODE[command.side], _TYPE_CODE[command.order_type],
                            1 if command.post_only else 0, command.order_id, command.ts_ns, command.qty_lots,
                            -1 if command.price_ticks is None else command.price_ticks)
        return head + command.client_order_id.encode() if command.client_order_id is not None else head
    return _CANCEL.pack(CANCEL, symbol_index[command.symbol], command.order_id, command.ts_ns)


def decode(rec: bytes | memoryview, symbols: list[str], start: int = 0, stop: int | None = None) -> Command:
    """The recorded command of one record (``rec[start:stop]``): the only decoder of the format.

    Raises ValueError (or IndexError, struct.error, UnicodeDecodeError) for a record
    that is not one.
    """
    if stop is None:
        stop = len(rec)
    kind = rec[start]
    if kind == SUBMIT:
        _, sym, side, otype, post, oid, ts, qty, price = _SUBMIT.unpack_from(rec, start)
        text = start + _SUBMIT_SIZE
        coid = bytes(rec[text:stop]).decode() if stop > text else None
        return Submit(symbols[sym], SIDES[side], TYPES[otype], None if price < 0 else price, qty, coid, post == 1,
                      oid, ts)
    if kind == CANCEL:
        if stop - start != _CANCEL.size:
            raise ValueError(f"a cancel record of {stop - start} bytes")
        _, sym, oid, ts = _CANCEL.unpack_from(rec, start)
        return Cancel(symbols[sym], oid, None, ts)
    raise ValueError(f"unknown record kind {kind}")


def checksum(lsn: int, blob: bytes) -> int:
    return zlib.crc32(blob, lsn & 0xFFFFFFFF)


def pack(records: list[bytes]) -> bytes:
    """Length-prefixed records, one after the other."""
    length = LENGTH.pack
    return b"".join(length(len(r)) + r for r in records)


def unpack(blob: bytes) -> Iterator[memoryview]:
    """The records of one journal row, in order (the inverse of :func:`pack`)."""
    view = memoryview(blob)
    for start, stop in spans(blob):
        yield view[start:stop]


def spans(blob: bytes) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each record of one journal row, in order, without copying them."""
    offset, end = 0, len(blob)
    length = LENGTH.unpack_from
    while offset < end:
        (size,) = length(blob, offset)
        offset += 2
        if offset + size > end:
            raise ValueError("a record runs past the end of its batch")
        yield offset, offset + size
        offset += size


def commands(blob: bytes, symbols: list[str]) -> Iterator[Command]:
    """The recorded commands of one journal row, in order."""
    for rec in unpack(blob):
        yield decode(rec, symbols)
