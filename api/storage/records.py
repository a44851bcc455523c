"""The journal's binary format (version 1) and its checksum.

The journal stores one row per group commit: the position (lsn) of its first
record, how many records it holds, and the records one after the other, each
preceded by its length (H, little-endian).  A record:

submit: B kind=1, H symbol index, B side, B order type, B post_only, q order_id, q ts_ns,
        q qty_lots, q price_ticks (-1 for none), then the client order id in UTF-8
cancel: B kind=2, H symbol index, q order_id, q ts_ns
submit with an account: kind=3, the submit's fields, q account, then the client order id
cancel with an account: kind=4, the cancel's fields, q account
create account: B kind=5, q account_id, q ts_ns, then the name in UTF-8
add key:        B kind=6, q account_id, q ts_ns, 12s key id, 32s the secret's SHA-256
key status:     B kind=7, B status (0 active, 1 disabled, 2 revoked), then the key id
account status: B kind=8, q account_id, B enabled
deposit:        B kind=9, q account_id, q ts_ns, B asset length, the asset, then the amount in decimal digits
withdrawal:     kind=10, laid out as a deposit
submit with an account and a self-trade prevention mode: kind=11, kind 3's fields, B mode, then the client order id
self-trade prevention default: B kind=12, q account_id, B mode
market buy for a quote amount: B kind=13, H symbol index, q order_id, q ts_ns, q account, B mode (255: the
        account's default), B amount length, the amount in decimal digits, then the client order id

The checksum is the CRC-32 of a row's bytes seeded with its first position, so a
batch that moved or changed is caught.
"""
from __future__ import annotations

import os
import struct
import zlib
from typing import Iterator

from engine.accounts import KeyStatus
from engine.commands import (
    AddKey,
    Cancel,
    Command,
    CreateAccount,
    Deposit,
    SetAccountStatus,
    SetKeyStatus,
    SetSelfTradePrevention,
    Submit,
    Withdraw,
)
from engine.self_trade import MODES as STP_MODES
from engine.order import BUY, FOK, IOC, LIMIT, MARKET, SELL

FORMAT_VERSION = 3  # 3: accounts, balances and self-trade prevention (kinds 3-13), the history's account columns
READABLE_FORMATS = ("1", "3")  # a format-1 directory (no accounts) is upgraded on open; an older version refuses 3
SUBMIT, CANCEL, SUBMIT_ACCOUNT, CANCEL_ACCOUNT = 1, 2, 3, 4
CREATE_ACCOUNT, ADD_KEY, KEY_STATUS, ACCOUNT_STATUS, DEPOSIT, WITHDRAW = 5, 6, 7, 8, 9, 10
SUBMIT_STP, ACCOUNT_STP, SUBMIT_QUOTE = 11, 12, 13
_SUBMIT = struct.Struct("<BHBBBqqqq")
_CANCEL = struct.Struct("<BHqq")
_SUBMIT_ACCOUNT = struct.Struct("<BHBBBqqqqq")
_CANCEL_ACCOUNT = struct.Struct("<BHqqq")
_CREATE_ACCOUNT = struct.Struct("<Bqq")
_ADD_KEY = struct.Struct("<Bqq12s32s")
_KEY_STATUS = struct.Struct("<BB")
_ACCOUNT_STATUS = struct.Struct("<BqB")
_MOVE = struct.Struct("<BqqB")
_SUBMIT_STP = struct.Struct("<BHBBBqqqqqB")
_ACCOUNT_STP = struct.Struct("<BqB")
_SUBMIT_QUOTE = struct.Struct("<BHqqqBB")
_STP_CODE = {mode: i for i, mode in enumerate(STP_MODES)}
_HEAD_SIZES = {SUBMIT: _SUBMIT.size, CANCEL: _CANCEL.size, SUBMIT_ACCOUNT: _SUBMIT_ACCOUNT.size,
               CANCEL_ACCOUNT: _CANCEL_ACCOUNT.size, CREATE_ACCOUNT: _CREATE_ACCOUNT.size, ADD_KEY: _ADD_KEY.size,
               KEY_STATUS: _KEY_STATUS.size, ACCOUNT_STATUS: _ACCOUNT_STATUS.size, DEPOSIT: _MOVE.size,
               WITHDRAW: _MOVE.size, SUBMIT_STP: _SUBMIT_STP.size, ACCOUNT_STP: _ACCOUNT_STP.size,
               SUBMIT_QUOTE: _SUBMIT_QUOTE.size}  # the fixed part of each kind of record
_SUBMIT_SIZE = _SUBMIT.size
_SUBMIT_ACCOUNT_SIZE = _SUBMIT_ACCOUNT.size
KEY_STATUSES = (KeyStatus.ACTIVE, KeyStatus.DISABLED, KeyStatus.REVOKED)
_KEY_STATUS_CODE = {s.value: i for i, s in enumerate(KEY_STATUSES)}
LENGTH = struct.Struct("<H")
SIDES = (BUY, SELL)
TYPES = (LIMIT, MARKET, IOC, FOK)
_SIDE_CODE = {s: i for i, s in enumerate(SIDES)}
_TYPE_CODE = {t: i for i, t in enumerate(TYPES)}


def encode(command: Command, symbol_index: dict[str, int]) -> bytes:
    """One stamped command (with its order id and time) as a record."""
    cls = command.__class__
    if cls is Submit:
        if command.quote_qty is not None:
            digits = str(command.quote_qty).encode()
            head = _SUBMIT_QUOTE.pack(SUBMIT_QUOTE, symbol_index[command.symbol], command.order_id, command.ts_ns,
                                      command.account, 255 if command.stp is None else _STP_CODE[command.stp],
                                      len(digits)) + digits
        elif command.stp is not None and command.account is not None:
            head = _SUBMIT_STP.pack(SUBMIT_STP, symbol_index[command.symbol], _SIDE_CODE[command.side],
                                    _TYPE_CODE[command.order_type], 1 if command.post_only else 0, command.order_id,
                                    command.ts_ns, command.qty_lots,
                                    -1 if command.price_ticks is None else command.price_ticks, command.account,
                                    _STP_CODE[command.stp])
        elif command.account is None:
            head = _SUBMIT.pack(SUBMIT, symbol_index[command.symbol], _SIDE_CODE[command.side],
                                _TYPE_CODE[command.order_type], 1 if command.post_only else 0, command.order_id,
                                command.ts_ns, command.qty_lots, -1 if command.price_ticks is None else command.price_ticks)
        else:
            head = _SUBMIT_ACCOUNT.pack(SUBMIT_ACCOUNT, symbol_index[command.symbol], _SIDE_CODE[command.side],
                                        _TYPE_CODE[command.order_type], 1 if command.post_only else 0, command.order_id,
                                        command.ts_ns, command.qty_lots,
                                        -1 if command.price_ticks is None else command.price_ticks, command.account)
        return head + command.client_order_id.encode() if command.client_order_id is not None else head
    if cls is Cancel:
        if command.account is None:
            return _CANCEL.pack(CANCEL, symbol_index[command.symbol], command.order_id, command.ts_ns)
        return _CANCEL_ACCOUNT.pack(CANCEL_ACCOUNT, symbol_index[command.symbol], command.order_id, command.ts_ns,
                                    command.account)
    if cls is CreateAccount:
        return _CREATE_ACCOUNT.pack(CREATE_ACCOUNT, command.account_id, command.ts_ns) + command.name.encode()
    if cls is AddKey:
        return _ADD_KEY.pack(ADD_KEY, command.account_id, command.ts_ns, command.key_id.encode(),
                             bytes.fromhex(command.digest))
    if cls is SetKeyStatus:
        return _KEY_STATUS.pack(KEY_STATUS, _KEY_STATUS_CODE[command.status]) + command.key_id.encode()
    if cls is SetAccountStatus:
        return _ACCOUNT_STATUS.pack(ACCOUNT_STATUS, command.account_id, 1 if command.enabled else 0)
    if cls is SetSelfTradePrevention:
        return _ACCOUNT_STP.pack(ACCOUNT_STP, command.account_id, _STP_CODE[command.mode])
    if cls is Deposit or cls is Withdraw:
        asset = command.asset.encode()
        return (_MOVE.pack(DEPOSIT if cls is Deposit else WITHDRAW, command.account_id, command.ts_ns, len(asset))
                + asset + str(command.amount).encode())
    raise TypeError(f"no record format for {command!r}")


def decode(rec: bytes | memoryview, symbols: list[str], start: int = 0, stop: int | None = None) -> Command:
    """The recorded command of one record (``rec[start:stop]``): the only decoder of the format.

    Raises ValueError (or IndexError, struct.error, UnicodeDecodeError) for a record
    that is not one.
    """
    if stop is None:
        stop = len(rec)
    kind = rec[start]
    head = _HEAD_SIZES.get(kind)
    if head is None:
        raise ValueError(f"unknown record kind {kind}")
    if stop - start < head:  # its fields would be read from the next record
        raise ValueError(f"a record of kind {kind} in {stop - start} bytes, shorter than its {head}")
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
    if kind == SUBMIT_ACCOUNT:
        _, sym, side, otype, post, oid, ts, qty, price, account = _SUBMIT_ACCOUNT.unpack_from(rec, start)
        text = start + _SUBMIT_ACCOUNT_SIZE
        coid = bytes(rec[text:stop]).decode() if stop > text else None
        return Submit(symbols[sym], SIDES[side], TYPES[otype], None if price < 0 else price, qty, coid, post == 1,
                      oid, ts, account)
    if kind == CANCEL_ACCOUNT:
        if stop - start != _CANCEL_ACCOUNT.size:
            raise ValueError(f"a cancel record of {stop - start} bytes")
        _, sym, oid, ts, account = _CANCEL_ACCOUNT.unpack_from(rec, start)
        return Cancel(symbols[sym], oid, None, ts, account)
    if kind == CREATE_ACCOUNT:
        _, account_id, ts = _CREATE_ACCOUNT.unpack_from(rec, start)
        return CreateAccount(bytes(rec[start + _CREATE_ACCOUNT.size:stop]).decode(), account_id, ts)
    if kind == ADD_KEY:
        if stop - start != _ADD_KEY.size:
            raise ValueError(f"a key record of {stop - start} bytes")
        _, account_id, ts, key_id, dig = _ADD_KEY.unpack_from(rec, start)
        return AddKey(account_id, key_id.decode("ascii"), dig.hex(), ts)
    if kind == KEY_STATUS:
        _, status = _KEY_STATUS.unpack_from(rec, start)
        return SetKeyStatus(bytes(rec[start + _KEY_STATUS.size:stop]).decode("ascii"), KEY_STATUSES[status].value)
    if kind == ACCOUNT_STATUS:
        if stop - start != _ACCOUNT_STATUS.size:
            raise ValueError(f"an account record of {stop - start} bytes")
        _, account_id, enabled = _ACCOUNT_STATUS.unpack_from(rec, start)
        return SetAccountStatus(account_id, enabled == 1)
    if kind == SUBMIT_STP:
        _, sym, side, otype, post, oid, ts, qty, price, account, stp = _SUBMIT_STP.unpack_from(rec, start)
        text = start + _SUBMIT_STP.size
        coid = bytes(rec[text:stop]).decode() if stop > text else None
        return Submit(symbols[sym], SIDES[side], TYPES[otype], None if price < 0 else price, qty, coid, post == 1,
                      oid, ts, account, STP_MODES[stp])
    if kind == SUBMIT_QUOTE:
        _, sym, oid, ts, account, stp, size = _SUBMIT_QUOTE.unpack_from(rec, start)
        text = start + _SUBMIT_QUOTE.size
        digits = bytes(rec[text:text + size])
        if text + size > stop or not digits.isdigit():
            raise ValueError("a quote amount that is not a number")
        coid = bytes(rec[text + size:stop]).decode() if stop > text + size else None
        return Submit(symbols[sym], BUY, MARKET, None, None, coid, False, oid, ts, account,  # type: ignore[arg-type]
                      None if stp == 255 else STP_MODES[stp], int(digits))
    if kind == ACCOUNT_STP:
        if stop - start != _ACCOUNT_STP.size:
            raise ValueError(f"an account record of {stop - start} bytes")
        _, account_id, mode = _ACCOUNT_STP.unpack_from(rec, start)
        return SetSelfTradePrevention(account_id, STP_MODES[mode])
    if kind == DEPOSIT or kind == WITHDRAW:
        _, account_id, ts, size = _MOVE.unpack_from(rec, start)
        text = start + _MOVE.size
        digits = bytes(rec[text + size:stop])
        if not digits.isdigit():
            raise ValueError("an amount that is not a number")
        return (Deposit if kind == DEPOSIT else Withdraw)(account_id, bytes(rec[text:text + size]).decode("ascii"),
                                                          int(digits), ts)
    raise ValueError(f"unknown record kind {kind}")


def checksum(lsn: int, blob: bytes) -> int:
    return zlib.crc32(blob, lsn & 0xFFFFFFFF)


def file_checksum(lsn: int, path: str | os.PathLike[str], chunk: int = 1 << 16) -> int:
    """:func:`checksum` of a file's bytes, read through one small buffer: a running server checks a
    snapshot file of any size without holding the whole of it in memory (which the allocator
    would keep long after)."""
    crc = lsn & 0xFFFFFFFF
    buffer = bytearray(chunk)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buffer)
            if not n:
                return crc
            crc = zlib.crc32(view[:n], crc)


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
