"""Recovery reads a one-record batch without walking it: the same state and the same refusals as a batch of many."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from api.storage import StoreError
from api.storage.recovery import recover
from api.storage.records import checksum, decode, encode, file_checksum, pack
from api.storage.store import Store
from engine import create_crypto_engine
from engine.commands import Cancel, Submit
from engine.order import BUY, LIMIT, SELL

SYM = "BTC-USDT"


def records() -> list[bytes]:
    """Orders 1-4 (two of them trade), then a cancel of a resting one: every record applies."""
    engine = create_crypto_engine()
    index = {s: i for i, s in enumerate(engine.symbols)}
    cmds = [Submit(SYM, SELL, LIMIT, 3_000_000, 500_000, order_id=1, ts_ns=10), Submit(SYM, BUY, LIMIT, 2_999_000, 700_000,
            order_id=2, ts_ns=11), Submit(SYM, BUY, LIMIT, 3_000_000, 200_000, "c-3", order_id=3, ts_ns=12),
            Cancel(SYM, 2, None, 13)]
    return [encode(c, index) for c in cmds]


def write(data_dir: Path, batches: list[list[bytes]]) -> None:
    """A data directory whose journal holds these batches, each with a valid checksum."""
    Store.open(data_dir, create_crypto_engine().symbols).close()
    conn = sqlite3.connect(data_dir / "engine.db")
    with conn:
        lsn = 1
        for batch in batches:
            blob = pack(batch)
            conn.execute("INSERT INTO journal (lsn, count, recs, crc) VALUES (?, ?, ?, ?)",
                         (lsn, len(batch), blob, checksum(lsn, blob)))
            lsn += len(batch)
    conn.close()


def outcome(data_dir: Path) -> tuple[str, object]:
    """``("ok", the engine's state)`` or ``("refused", the message without the file name)``."""
    engine = create_crypto_engine()
    store = Store.open(data_dir, engine.symbols)
    try:
        result = recover(engine, store)
    except StoreError as exc:
        return "refused", str(exc).replace(str(store.path), "<db>")
    finally:
        store.close()
    engine.check_invariants()
    return "ok", (result.replayed, result.last_lsn, engine.snapshot())


BAD = {
    "does not apply": Cancel(SYM, 99, None, 20),  # an order that never existed
    "unknown kind": b"\x63" + bytes(20),
    "bad symbol": encode(Submit("ETH-USDT", BUY, LIMIT, 100, 1, order_id=9, ts_ns=20), {"ETH-USDT": 999}),
    "truncated cancel": encode(Cancel(SYM, 1, None, 20), {SYM: 0})[:-3],
}


@pytest.mark.parametrize("case", ["good", *BAD])
def test_one_record_batches_recover_like_larger_ones(tmp_path: Path, case: str) -> None:
    recs = records()
    if case != "good":
        bad = BAD[case]
        recs.append(bad if isinstance(bad, bytes) else encode(bad, {SYM: 0}))
    singles, pairs = tmp_path / "singles", tmp_path / "pairs"
    write(singles, [[r] for r in recs])  # every batch takes the one-record path
    write(pairs, [recs[i:i + 2] for i in range(0, len(recs), 2)])  # none does
    one, many = outcome(singles), outcome(pairs)
    assert one == many
    if case == "good":
        assert one[0] == "ok" and one[1][0] == 4  # type: ignore[index]
    else:
        assert one[0] == "refused" and "journal record 5 cannot be replayed" in one[1], one  # type: ignore[operator]


def test_a_length_prefix_that_disagrees_with_its_batch(tmp_path: Path) -> None:
    """A one-record batch whose record claims fewer or more bytes than the batch holds is refused, naming it."""
    submit = records()[0]
    for name, blob, why in (("short", b"\x05\x00" + submit, "a record of kind 1 in 5 bytes, shorter than its 38"),
                            ("long", b"\xff\x00" + submit, "a record runs past the end of its batch")):
        data = tmp_path / name
        Store.open(data, create_crypto_engine().symbols).close()
        conn = sqlite3.connect(data / "engine.db")
        with conn:
            conn.execute("INSERT INTO journal (lsn, count, recs, crc) VALUES (1, 1, ?, ?)", (blob, checksum(1, blob)))
        conn.close()
        assert outcome(data) == ("refused", f"<db>: journal record 1 cannot be replayed: {why}")


def test_no_record_is_read_past_its_end() -> None:
    """Every kind of record cut short by one byte is refused rather than completed from what follows it."""
    engine = create_crypto_engine()
    index = {s: i for i, s in enumerate(engine.symbols)}
    from engine.commands import AddKey, CreateAccount, Deposit, SetAccountStatus, SetSelfTradePrevention, SetKeyStatus

    cmds = [Submit(SYM, BUY, LIMIT, 100, 1, order_id=1, ts_ns=1), Cancel(SYM, 1, None, 2),
            Submit(SYM, BUY, LIMIT, 100, 1, order_id=1, ts_ns=1, account=1), Cancel(SYM, 1, None, 2, 1),
            Submit(SYM, BUY, LIMIT, 100, 1, order_id=1, ts_ns=1, account=1, stp="cancel_maker"),
            Submit(SYM, BUY, "market", None, None, order_id=1, ts_ns=1, account=1, quote_qty=12345),
            CreateAccount("a", 1, 1), AddKey(1, "0123456789ab", "ab" * 32, 1), SetKeyStatus("0123456789ab", "disabled"),
            SetAccountStatus(1, False), SetSelfTradePrevention(1, "none"), Deposit(1, "USDT", 5, 1)]
    for cmd in cmds:
        rec = encode(cmd, index)
        assert decode(rec, engine.symbols) == cmd
        # The record cut one byte short, followed by that very byte: a decoder that read past the end
        # would give the whole command back.
        try:
            got = decode(rec + bytes(16), engine.symbols, 0, len(rec) - 1)
        except (ValueError, IndexError, UnicodeDecodeError):
            continue
        assert got != cmd, f"{cmd!r} was read past the end of its record"


@pytest.mark.parametrize("size", [0, 1, 65_535, 65_536, 200_001])
def test_a_snapshot_file_is_checksummed_in_pieces_like_whole_bytes(tmp_path: Path, size: int) -> None:
    """The running server checks a snapshot file through a small buffer: the same CRC, seeded the same way."""
    blob = bytes((i * 7919) % 251 for i in range(size))
    path = tmp_path / "state.snap"
    path.write_bytes(blob)
    for lsn in (1, 2**32 + 5):
        assert file_checksum(lsn, path) == checksum(lsn, blob)
    assert file_checksum(1, path) != file_checksum(2, path)  # seeded with its position
