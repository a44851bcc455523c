"""Orders and trades in the database, for queries beyond what the engine keeps in memory."""
from __future__ import annotations

import sqlite3

from engine.events import Event, OrderAccepted, OrderCancelled, OrderRejected, OrderUpdated, TradeExecuted

SCHEMA = """
CREATE TABLE IF NOT EXISTS trades (trade_id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, price_ticks INTEGER NOT NULL,
    qty_lots INTEGER NOT NULL, aggressor_side TEXT NOT NULL, maker_order_id INTEGER NOT NULL,
    taker_order_id INTEGER NOT NULL, ts_ns INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS trades_by_symbol ON trades (symbol, trade_id);
CREATE TABLE IF NOT EXISTS orders (order_id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL,
    order_type TEXT NOT NULL, price_ticks INTEGER, qty_lots INTEGER NOT NULL, remaining_lots INTEGER NOT NULL,
    status TEXT NOT NULL, client_order_id TEXT, ts_ns INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_client_id ON orders (symbol, client_order_id) WHERE client_order_id IS NOT NULL;
"""

# Columns added with accounts, at the end so that older rows read the same (see migrate).
ADDED_COLUMNS = (("trades", "maker_account", "INTEGER"), ("trades", "taker_account", "INTEGER"),
                 ("orders", "account", "INTEGER"))
ACCOUNT_INDEXES = """
CREATE INDEX IF NOT EXISTS orders_by_account ON orders (account, order_id) WHERE account IS NOT NULL;
CREATE INDEX IF NOT EXISTS trades_by_maker ON trades (maker_account, trade_id) WHERE maker_account IS NOT NULL;
CREATE INDEX IF NOT EXISTS trades_by_taker ON trades (taker_account, trade_id) WHERE taker_account IS NOT NULL;
"""


def migrate(conn: sqlite3.Connection) -> None:
    """Add the account columns and their indexes to a database made before accounts. Idempotent."""
    for table, column, kind in ADDED_COLUMNS:
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    conn.executescript(ACCOUNT_INDEXES)

Taken = tuple[list[tuple], list[tuple], list[tuple]]


class Rows:
    """History rows gathered from events between two commits."""

    __slots__ = ("trades", "accepted", "updates")

    def __init__(self) -> None:
        self.trades: list[tuple] = []
        self.accepted: list[tuple] = []
        self.updates: list[tuple] = []

    def __bool__(self) -> bool:
        return bool(self.trades or self.accepted or self.updates)

    def add(self, event: Event) -> None:
        if isinstance(event, TradeExecuted):
            t = event.trade
            self.trades.append((t.trade_id, t.symbol, t.price_ticks, t.qty_lots, t.aggressor_side, t.maker_order_id,
                                t.taker_order_id, t.ts_ns, t.maker_account, t.taker_account))
        elif isinstance(event, OrderAccepted):
            self.accepted.append((event.order_id, event.symbol, event.side, event.order_type, event.price_ticks,
                                  event.qty_lots, event.qty_lots, "pending", event.client_order_id, event.ts_ns,
                                  event.account))
        elif isinstance(event, OrderUpdated):
            self.updates.append((event.status, event.remaining_lots, event.order_id))
        elif isinstance(event, OrderCancelled):
            self.updates.append(("cancelled", event.remaining_lots, event.order_id))
        elif isinstance(event, OrderRejected):
            self.accepted.append((event.order_id, event.symbol, event.side, event.order_type, event.price_ticks,
                                  event.qty_lots, event.qty_lots, "rejected", event.client_order_id, event.ts_ns,
                                  event.account))

    def take(self) -> Taken:
        out = (self.trades, self.accepted, self.updates)
        self.trades, self.accepted, self.updates = [], [], []
        return out


def write(conn: sqlite3.Connection, rows: Taken) -> None:
    trades, accepted, updates = rows
    if accepted:
        conn.executemany("INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", accepted)
    if updates:
        conn.executemany("UPDATE orders SET status = ?, remaining_lots = ? WHERE order_id = ?", updates)
    if trades:
        conn.executemany("INSERT OR REPLACE INTO trades VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", trades)


def trades_before(conn: sqlite3.Connection, symbol: str, before_trade_id: int | None, limit: int) -> list[tuple]:
    if before_trade_id is None:
        return conn.execute("SELECT * FROM trades WHERE symbol = ? ORDER BY trade_id DESC LIMIT ?", (symbol, limit)).fetchall()
    return conn.execute("SELECT * FROM trades WHERE symbol = ? AND trade_id < ? ORDER BY trade_id DESC LIMIT ?",
                        (symbol, before_trade_id, limit)).fetchall()


def find_order_by_client_id(conn: sqlite3.Connection, symbol: str, client_order_id: str,
                            account: int | None = None) -> tuple | None:
    """The newest stored order of a symbol with this client id (of ``account``, when given)."""
    if account is None:
        return conn.execute("SELECT * FROM orders WHERE symbol = ? AND client_order_id = ? ORDER BY order_id DESC "
                            "LIMIT 1", (symbol, client_order_id)).fetchone()
    return conn.execute("SELECT * FROM orders WHERE symbol = ? AND client_order_id = ? AND account = ? "
                        "ORDER BY order_id DESC LIMIT 1", (symbol, client_order_id, account)).fetchone()


def orders_of(conn: sqlite3.Connection, account: int, symbol: str | None, before_order_id: int | None,
              limit: int) -> list[tuple]:
    """An account's stored orders, newest first, before an order id (a page)."""
    sql, args = "SELECT * FROM orders WHERE account = ?", [account]
    if symbol is not None:
        sql += " AND symbol = ?"
        args.append(symbol)
    if before_order_id is not None:
        sql += " AND order_id < ?"
        args.append(before_order_id)
    return conn.execute(sql + " ORDER BY order_id DESC LIMIT ?", (*args, limit)).fetchall()


def fills_of(conn: sqlite3.Connection, account: int, symbol: str | None, before_trade_id: int | None,
             limit: int) -> list[tuple]:
    """Trades an account took part in (as maker or taker), newest first, before a trade id (a page)."""
    where, args = "", []
    if symbol is not None:
        where += " AND symbol = ?"
        args.append(symbol)
    if before_trade_id is not None:
        where += " AND trade_id < ?"
        args.append(before_trade_id)
    sql = (f"SELECT * FROM (SELECT * FROM trades WHERE maker_account = ?{where} ORDER BY trade_id DESC LIMIT ?) "
           f"UNION SELECT * FROM (SELECT * FROM trades WHERE taker_account = ?{where} ORDER BY trade_id DESC LIMIT ?) "
           "ORDER BY trade_id DESC LIMIT ?")
    return conn.execute(sql, (account, *args, limit, account, *args, limit, limit)).fetchall()


def find_order(conn: sqlite3.Connection, order_id: int) -> tuple | None:
    return conn.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()


FINISHED = ("filled", "cancelled", "rejected")


def delete_trades_before(conn: sqlite3.Connection, cutoff_ns: int, limit: int) -> int:
    """Delete up to ``limit`` of the oldest trades if they are older than ``cutoff_ns``; return how many.

    Trade ids grow with time, so the oldest rows come first and the scan stops at the first newer one.
    """
    rows = conn.execute("SELECT trade_id, ts_ns FROM trades ORDER BY trade_id LIMIT ?", (limit,)).fetchall()
    old = 0
    for _, ts in rows:
        if ts >= cutoff_ns:
            break
        old += 1
    if old:
        conn.execute("DELETE FROM trades WHERE trade_id <= ?", (rows[old - 1][0],))
    return old


def delete_orders_before(conn: sqlite3.Connection, cutoff_ns: int, after_id: int,
                         limit: int) -> tuple[int, int | None]:
    """Delete finished orders older than ``cutoff_ns`` among up to ``limit`` rows after ``after_id``.

    Returns how many were deleted and the id to continue after, or None once a newer row is reached.
    Live orders are kept, however old.
    """
    rows = conn.execute("SELECT order_id, ts_ns, status FROM orders WHERE order_id > ? ORDER BY order_id LIMIT ?",
                        (after_id, limit)).fetchall()
    doomed = []
    for oid, ts, status in rows:
        if ts >= cutoff_ns:
            break
        if status in FINISHED:
            doomed.append((oid,))
    else:
        if len(rows) == limit:
            conn.executemany("DELETE FROM orders WHERE order_id = ?", doomed)
            return len(doomed), rows[-1][0]
    conn.executemany("DELETE FROM orders WHERE order_id = ?", doomed)
    return len(doomed), None
