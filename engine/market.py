"""Per-symbol state held by the engine: book, rules, fees, history and counters."""
from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

from engine.book import OrderBook, Trade
from engine.order import ORDER_TYPE_OF, PARTIALLY_FILLED, PENDING, SIDE_OF, STATUS_OF, Order, OrderType, Side, Status
from engine.symbols import FeeCalculator, SymbolConfig


class Market:
    """Everything the engine keeps for one symbol, in integers."""

    __slots__ = (
        "config",
        "symbol",
        "book",
        "fees",
        "history",
        "history_limit",
        "client_ids",
        "finished_client_ids",
        "recent_trades",
        "min_lots",
        "max_lots",
        "min_notional_units",
        "value_factor",
        "orders_accepted",
        "orders_rejected",
        "trade_count",
        "volume_lots",
        "notional_units",
        "last_price_ticks",
        "money",
        "reasons",
    )

    def __init__(self, config: SymbolConfig, fees: FeeCalculator, history_limit: int, trade_limit: int) -> None:
        self.config = config
        self.symbol = config.symbol
        self.book = OrderBook(config.symbol)
        self.fees = fees
        self.history: OrderedDict[int, Order] = OrderedDict()  # finished orders, oldest first
        self.history_limit = history_limit
        # client order id -> live order; with accounts the key is (account, client order id), see client_key
        self.client_ids: dict[Any, Order] = {}
        self.finished_client_ids: dict[Any, Order] = {}  # the same keys -> newest finished order in the history
        self.recent_trades: deque[Trade] = deque(maxlen=trade_limit)
        self.min_lots = config.min_lots
        self.max_lots = config.max_lots
        self.min_notional_units = config.min_notional_units
        self.value_factor = config.price_scale.unit * config.qty_scale.unit  # ticks x lots -> value units
        self.orders_accepted = 0
        self.orders_rejected = 0
        self.trade_count = 0
        self.volume_lots = 0
        self.notional_units = 0
        self.last_price_ticks: int | None = None
        self.money: Any = None  # engine.balances.MarketMoney, set by the engine once the assets are known
        self.reasons: dict[int, str] = {}  # finished order id -> why it was cancelled, when not by its owner

    def remember(self, order: Order) -> None:
        """Keep a finished order for status queries, evicting the oldest past the limit. O(1).

        A finished order never changes again, so the object itself is kept.
        """
        history = self.history
        history[order.order_id] = order
        coid = order.client_order_id
        if coid is not None:
            self.finished_client_ids[coid if order.account is None else (order.account, coid)] = order
        if len(history) > self.history_limit:
            old = history.popitem(last=False)[1]
            if self.reasons:
                self.reasons.pop(old.order_id, None)
            if old.client_order_id is not None:
                key = client_key(old.account, old.client_order_id)
                if self.finished_client_ids.get(key) is old:
                    del self.finished_client_ids[key]

    def find_order(self, order_id: int) -> Order | None:
        """A resting order, or a finished one from the history. O(1)."""
        order = self.book.get_order(order_id)
        return order if order is not None else self.history.get(order_id)

    def find_by_client_id(self, client_order_id: str, account: int | None = None) -> Order | None:
        """The newest finished order of ``account`` with this client id still in the history. O(1)."""
        return self.finished_client_ids.get(client_key(account, client_order_id))

    def live_by_client_id(self, client_order_id: str, account: int | None = None) -> Order | None:
        """The live order of ``account`` with this client id. O(1)."""
        return self.client_ids.get(client_key(account, client_order_id))

    # ---- snapshots -------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """This market's state as plain data (resting orders oldest first within each level). O(n log n)."""
        return {
            "sequence": self.book.sequence,
            "resting": _columns(sorted(self.book.resting_orders(), key=lambda o: o.order_id)),
            "history": _columns(list(self.history.values())),
            "recent_trades": [[t.trade_id, t.price_ticks, t.qty_lots, t.aggressor_side.value, t.maker_order_id,
                               t.taker_order_id, t.ts_ns, t.maker_account, t.taker_account]
                              for t in self.recent_trades],
            "stats": [self.orders_accepted, self.orders_rejected, self.trade_count, self.volume_lots,
                      self.notional_units, self.last_price_ticks],
            "reasons": sorted([oid, reason] for oid, reason in self.reasons.items()),
        }

    def load(self, data: dict[str, Any]) -> None:
        """Replace an empty market's state with exported data. O(n log levels)."""
        if len(self.book) or self.history or self.recent_trades or self.finished_client_ids:
            raise ValueError(f"{self.symbol}: the market is not empty")
        book = self.book
        shared: dict[int, int] = {}  # one int object per price and quantity value, as live orders share them
        for row in _rows(data["resting"]):  # arrival (id) order restores time priority
            order = _order_from_row(self.symbol, row)
            order.price_ticks = shared.setdefault(order.price_ticks, order.price_ticks)  # type: ignore[arg-type]
            order.qty_lots = shared.setdefault(order.qty_lots, order.qty_lots)
            if order.remaining_lots == order.qty_lots:
                order.remaining_lots = order.qty_lots
            book.rest(order)
            if order.client_order_id is not None:
                self.client_ids[client_key(order.account, order.client_order_id)] = order
        book.sequence = data["sequence"]
        listed = isinstance(data["history"], list)
        for row in _rows(data["history"]):
            if listed and len(row) == 10:  # format 1 kept the symbol in each row
                row = row[:1] + row[2:]
            order = _order_from_row(self.symbol, row)
            self.remember(order)
        for row in data["recent_trades"]:
            tid, price, qty, aggressor, maker, taker, ts = row[:7]
            accounts = row[7:] if len(row) == 9 else (None, None)
            self.recent_trades.append(Trade(tid, self.symbol, price, qty, SIDE_OF[aggressor], maker, taker, ts, *accounts))
        (self.orders_accepted, self.orders_rejected, self.trade_count, self.volume_lots, self.notional_units,
         self.last_price_ticks) = data["stats"]
        # an engine that keeps fewer finished orders than the one that exported them drops the reasons
        # of those it did not keep
        self.reasons = {oid: reason for oid, reason in data.get("reasons", []) if oid in self.history}

    # ---- checks ----------------------------------------------------------------

    def check_invariants(self) -> None:
        """Raise AssertionError unless the book and this market's indexes agree. O(n log n).

        The book's own checks; the client-id index holds exactly the live orders that
        have a client id; the history holds only finished orders, within its limit.
        """
        self.book.check_invariants()
        live_with_ids = {client_key(o.account, o.client_order_id): o for o in self.book.resting_orders()
                         if o.client_order_id is not None}
        assert len(live_with_ids) == len(self.client_ids), "client-id index size differs from the live orders"
        for coid, order in self.client_ids.items():
            assert live_with_ids.get(coid) is order, f"client id {coid!r} does not point at its live order"
        assert len(self.history) <= self.history_limit, f"history holds {len(self.history)} > {self.history_limit}"
        for oid, row in self.history.items():  # finished orders only
            assert row.order_id == oid and self.book.get_order(oid) is None, f"history holds live order {oid}"
            assert row.status is not PENDING and row.status is not PARTIALLY_FILLED, f"history holds live {row}"
        newest = {client_key(o.account, o.client_order_id): o for o in self.history.values()
                  if o.client_order_id is not None}
        assert newest == self.finished_client_ids, "finished client-id index does not match the history"
        assert set(self.reasons) <= set(self.history), "a cancel reason for an order not in the history"


def _columns(orders: list[Order]) -> dict[str, list[Any]]:
    """Orders as one list per field (format 3): loading them builds no per-row lists or strings, so a
    restart from a large snapshot does not leave its memory fragmented by them."""
    return {
        "order_id": [o.order_id for o in orders],
        "side": "".join([_CODE[o.side] for o in orders]),
        "order_type": "".join([_CODE[o.order_type] for o in orders]),
        "price_ticks": [o.price_ticks for o in orders],
        "qty_lots": [o.qty_lots for o in orders],
        "remaining_lots": [o.remaining_lots for o in orders],
        "status": "".join([_CODE[o.status] for o in orders]),
        "client_order_id": [o.client_order_id for o in orders],
        "ts_ns": [o.ts_ns for o in orders],
        "account": [o.account for o in orders],
    }


# One character per side, type and status in format 3's columns.
_CODE: dict[Any, str] = {Side.BUY: "b", Side.SELL: "s", OrderType.LIMIT: "l", OrderType.MARKET: "m",
                         OrderType.IOC: "i", OrderType.FOK: "f", Status.PENDING: "p", Status.PARTIALLY_FILLED: "P",
                         Status.FILLED: "F", Status.CANCELLED: "c", Status.REJECTED: "r"}
_SIDE_CODE = {"b": Side.BUY, "s": Side.SELL}
_TYPE_CODE = {"l": OrderType.LIMIT, "m": OrderType.MARKET, "i": OrderType.IOC, "f": OrderType.FOK}
_STATUS_CODE = {"p": Status.PENDING, "P": Status.PARTIALLY_FILLED, "F": Status.FILLED, "c": Status.CANCELLED,
                "r": Status.REJECTED}


def _rows(data: Any) -> Any:
    """Order rows from either form: per field (format 3) or one list per order (formats 1 and 2)."""
    if isinstance(data, dict):
        sides = map(_SIDE_CODE.__getitem__, data["side"])
        types = map(_TYPE_CODE.__getitem__, data["order_type"])
        statuses = map(_STATUS_CODE.__getitem__, data["status"])
        accounts = data.get("account") or [None] * len(data["order_id"])  # format 3 before accounts had none
        return zip(data["order_id"], sides, types, data["price_ticks"], data["qty_lots"], data["remaining_lots"],
                   statuses, data["client_order_id"], data["ts_ns"], accounts)
    return data


def client_key(account: int | None, client_order_id: str) -> Any:
    """The key of a client order id in a market's indexes: unique per account."""
    return client_order_id if account is None else (account, client_order_id)


def _order_from_row(symbol: str, row: Any) -> Order:
    oid, side, otype, price, qty, remaining, status, coid, ts = row[:9]
    order = Order(oid, symbol, SIDE_OF[side], ORDER_TYPE_OF[otype], price, qty, coid, ts,
                  row[9] if len(row) > 9 else None)
    order.remaining_lots = remaining
    order.status = STATUS_OF[status]
    return order
