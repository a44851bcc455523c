"""``matching-engine journal verify|snapshot|stats|compact|truncate``: inspect or repair a data directory offline."""
from __future__ import annotations

import struct
import sys
import time
from pathlib import Path
from typing import Any

from api.storage.records import checksum, commands
from api.storage.recovery import counted, load_snapshot, recover
from api.storage.store import DB_NAME, Store, StoreError, default_data_dir, read_stats, read_symbols
from engine import codec
from engine.commands import Cancel, Command, Submit
from engine.matcher import MatchingEngine, create_crypto_engine, create_forex_engine


def engine_for(symbols: list[str]) -> MatchingEngine:
    for factory in (create_crypto_engine, create_forex_engine):
        engine = factory()
        if engine.symbols == symbols:
            return engine
    raise StoreError(f"no symbol preset matches the stored symbols {symbols}")


def stored_symbols(path: Path) -> list[str]:
    return read_symbols(path)


def run_journal_command(action: str, data_dir: str | None, after: int | None = None) -> int:
    directory = Path(data_dir) if data_dir else default_data_dir()
    path = directory / DB_NAME
    if not path.exists():
        print(f"error: no data at {path}", file=sys.stderr)
        return 2
    try:
        symbols = stored_symbols(path)
        if action == "stats":
            return _stats(path, symbols)
        if action == "truncate":
            if after is None or after < 0:
                print("error: truncate needs --after LSN (the last record to keep)", file=sys.stderr)
                return 2
            return _truncate(directory, symbols, after)
        store = Store.open(directory, symbols)
        engine = engine_for(symbols)
        try:
            if action == "verify":
                print(_check_every_record(store, symbols))
            result = recover(engine, store)
            print(result.describe())
            if action == "verify":
                print(_cross_check(engine, store, symbols, result.snapshot_lsn))
            stats = engine.get_statistics()
            print(f"state: {counted(stats['resting_orders'], 'resting order')}, {counted(stats['total_trades'], 'trade')}, "
                  f"next order id {engine.ids.next_order_id:,}")
            try:  # books, indexes, and money: every lock what its orders need, every asset conserved
                engine.check_invariants()
            except AssertionError as exc:
                print(f"error: the replayed state is inconsistent: {exc}", file=sys.stderr)
                return 1
            accounts = engine.accounts
            print(f"accounts: {counted(len(accounts), 'account')}; every balance, lock and fee adds up to the "
                  f"deposits less the withdrawals" if not accounts.mixed else
                  f"accounts: {counted(len(accounts), 'account')}; locks checked (orders with and without accounts "
                  "traded, so conservation cannot be checked)")
            if action in ("snapshot", "compact"):
                from api.durability import take_snapshot

                engine.journal = store
                lsn = take_snapshot(engine, store)
                print(f"snapshot written at record {lsn}; journal before the previous snapshot compacted")
        finally:
            store.close()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _check_every_record(store: Store, symbols: list[str]) -> str:
    """Check the checksum of every batch the journal holds and decode every record, those before the
    newest snapshot too (start-up reads only the ones after it); raise StoreError at the first bad one."""
    records = batches = 0
    for first, count, blob, crc in store.journal_rows(0):
        where = f"journal records {first} to {first + count - 1} (batch at {first})"
        if checksum(first, blob) != crc:
            raise StoreError(f"{store.path}: {where} are corrupt (checksum mismatch in a committed batch)")
        try:
            decoded = sum(1 for _ in commands(blob, symbols))
        except (ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
            raise StoreError(f"{store.path}: {where} cannot be decoded: {exc}") from None
        if decoded != count:
            raise StoreError(f"{store.path}: {where} hold {decoded} records, not {count}")
        records += count
        batches += 1
    snapshots = store.snapshot_positions()
    for lsn in snapshots:
        load_snapshot(store, lsn)  # raises if its checksum fails
    return (f"checked: {counted(records, 'journal record')} in {counted(batches, 'commit')}, every checksum and "
            f"record; {counted(len(snapshots), 'snapshot')}, every checksum")


def _cross_check(engine: MatchingEngine, store: Store, symbols: list[str], newest: int) -> str:
    """Replay the journal again from the snapshot before the newest (or from the empty state, when the
    journal still starts at record 1) and compare the state reached with the one start-up restores."""
    if not newest:
        return "cross-check: no snapshot, so every record was replayed above from the empty state"
    older = [lsn for lsn in store.snapshot_positions() if lsn < newest]
    first = next(iter(store.journal_rows(0)), None)
    if older:
        base = older[-1]
    elif first is not None and first[0] == 1:
        base = 0
    else:
        return "cross-check: no older snapshot to replay from (the journal before the newest one is compacted away)"
    again = engine_for(symbols)
    replayed = recover(again, store, base=base)
    if not _same_state(again.snapshot(), engine.snapshot()):
        raise StoreError(f"{store.path}: replaying the journal from "
                         f"{f'the snapshot at record {base}' if base else 'the start'} does not reach the state "
                         f"the newest snapshot (record {newest}) and the records after it give")
    start = f"the snapshot at record {base}" if base else "the empty state"
    return (f"cross-check: {start} and {counted(replayed.replayed, 'journal record')} after it reach the same "
            f"state as the newest snapshot (record {newest}) and the records after it")


def _same_state(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal states, each market's finished-order history compared over the newest orders both keep: a
    server run with another ``ME_HISTORY_LIMIT`` than this tool's engine kept a different number of them."""
    def newest(state: dict[str, Any], keep: dict[str, int]) -> dict[str, Any]:
        markets = {}
        for symbol, market in state["markets"].items():
            history = {field: column[len(column) - keep[symbol]:] for field, column in market["history"].items()}
            kept = set(history["order_id"])
            markets[symbol] = {**market, "history": history,
                               "reasons": [r for r in market["reasons"] if r[0] in kept]}
        return {**state, "markets": markets}

    if set(a["markets"]) != set(b["markets"]):
        return False
    keep = {s: min(len(a["markets"][s]["history"]["order_id"]), len(b["markets"][s]["history"]["order_id"]))
            for s in a["markets"]}
    return newest(a, keep) == newest(b, keep)


def _stats(path: Path, symbols: list[str]) -> int:
    facts = read_stats(path)
    first, last, count, batches = facts["journal"]
    snaps, orders, trades = facts["snapshots"], facts["orders"], facts["trades"]
    size = sum(p.stat().st_size for p in path.parent.glob(DB_NAME + "*"))
    print(f"data: {path} ({size / 2**20:.1f} MiB with its WAL), symbols {', '.join(symbols)}")
    print(f"journal: {counted(count, 'record')}"
          + (f", {first:,} to {last:,}, in {counted(batches, 'commit')}" if count else ""))
    for lsn, created, length in snaps:
        print(f"snapshot: at record {lsn:,}, {length / 1024:.1f} KiB compressed, written {_utc(created)}")
    print(f"history: {counted(orders, 'order')}, {counted(trades, 'trade')}")
    return 0


def _truncate(directory: Path, symbols: list[str], after: int) -> int:
    """Discard every journal record after ``after`` (and what derives from it); print what is discarded."""
    store = Store.open(directory, symbols)
    try:
        rows = list(store.journal_rows(after))
        if not rows:
            print(f"nothing to discard: the journal ends at record {store.next_lsn - 1}")
            return 0
        first_row, count = rows[0][0], rows[0][1]
        if first_row <= after:
            print(f"error: record {after} is inside the batch of records {first_row} to {first_row + count - 1}; "
                  f"truncate after {first_row - 1} or after {first_row + count - 1}", file=sys.stderr)
            return 1
        engine = engine_for(symbols)
        recover(engine, store, upto=after)  # the state the kept records describe; raises if they are bad too
        next_oid, next_tid = engine.ids.next_order_id, engine.ids.next_trade_id
        max_oid, max_tid = store.history_id_ceilings()
        discarded = 0
        for first, count, blob, crc in rows:
            discarded += count
            if checksum(first, blob) != crc:
                print(f"records {first} to {first + count - 1}: the checksum fails; they cannot be read")
                continue
            try:
                for lsn, command in enumerate(commands(blob, symbols), first):
                    print(f"record {lsn}: {_describe(engine, command)}")
                    if isinstance(command, Submit) and command.order_id is not None:
                        max_oid = max(max_oid, command.order_id)
            except (ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
                print(f"records {first} to {first + count - 1}: cannot be decoded ({exc})")
        live = [(o.status.value, o.remaining_lots, o.order_id) for s in engine.symbols
                for o in engine.get_order_book(s).resting_orders()]  # type: ignore[union-attr]
        floor = (after, max(next_oid, max_oid + 1), max(next_tid, max_tid + 1))
        store.truncate_after(after, next_oid, next_tid, live, floor)
        print(f"discarded {discarded:,} record{'s' if discarded != 1 else ''} after record {after}, with the history "
              f"of orders from id {next_oid:,} and trades from id {next_tid:,}; new orders get ids from "
              f"{floor[1]:,} and new trades from {floor[2]:,}, so no id is used twice")
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def _describe(engine: MatchingEngine, command: Command) -> str:
    if not isinstance(command, (Submit, Cancel)):  # account commands: never a secret (only a digest is recorded)
        fields = {k: getattr(command, k) for k in command.__slots__ if k != "digest"}
        return f"{type(command).__name__} {fields}"
    market = engine.market(command.symbol)
    assert market is not None
    if isinstance(command, Submit):
        price = codec.price_text(market, command.price_ticks)
        return (f"order {command.order_id} {command.symbol} {command.side.value} {command.order_type.value} "
                f"{codec.qty_text(market, command.qty_lots)}" + (f" at {price}" if price is not None else "")
                + (f" (client id {command.client_order_id})" if command.client_order_id else ""))
    return f"cancel of order {command.order_id} {command.symbol}"


def _utc(epoch_s: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch_s))
