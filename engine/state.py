"""The whole engine state as plain data (for snapshots), and back.

Plain ints, strings, lists and dicts only, so any serializer can store it. The
resting orders of each level are listed oldest first, which restores time priority.
"""
from __future__ import annotations

from typing import Any

from engine.book import Trade
from engine.matcher import MatchingEngine
from engine.order import BUY, SELL, Order

STATE_VERSION = 1


def _order_row(o: Order) -> list[Any]:
    return [o.order_id, o.side, o.order_type, o.price_ticks, o.qty_lots, o.remaining_lots, o.status,
            o.client_order_id, o.ts_ns]


def export_state(engine: MatchingEngine) -> dict[str, Any]:
    """Everything needed to continue exactly where the engine is now. Takes the engine lock."""
    with engine._lock:
        return export_state_locked(engine)


def export_state_locked(engine: MatchingEngine) -> dict[str, Any]:
    """:func:`export_state` for a caller that already holds ``engine._lock``."""
    markets = {}
    for symbol, m in engine._markets.items():
        book = m.book
        resting = []
        for side, prices, levels in ((BUY, book._bid_prices, book._bids), (SELL, book._ask_prices, book._asks)):
            for price in prices:
                resting.extend(_order_row(o) for o in levels[price].orders())
        markets[symbol] = {
            "sequence": book.sequence,
            "resting": resting,
            "history": [list(r) for r in m.history.values()],
            "recent_trades": [[t.trade_id, t.price_ticks, t.qty_lots, t.aggressor_side, t.maker_order_id,
                               t.taker_order_id, t.ts_ns] for t in m.recent_trades],
            "stats": [m.orders_accepted, m.orders_rejected, m.trade_count, m.volume_lots, m.notional_units,
                      m.last_price_ticks],
        }
    return {"version": STATE_VERSION, "next_order_id": engine.ids.next_order_id,
            "next_trade_id": engine.ids.next_trade_id, "markets": markets}


def import_state(engine: MatchingEngine, state: dict[str, Any]) -> None:
    """Load ``state`` into an engine with the same symbols and empty books."""
    if state.get("version") != STATE_VERSION:
        raise ValueError(f"snapshot format {state.get('version')!r} is not supported (expected {STATE_VERSION})")
    with engine._lock:
        if set(state["markets"]) != set(engine._markets):
            raise ValueError(f"snapshot symbols {sorted(state['markets'])} differ from the engine's {sorted(engine._markets)}")
        engine.ids.next_order_id = state["next_order_id"]
        engine.ids.next_trade_id = state["next_trade_id"]
        for symbol, data in state["markets"].items():
            m = engine._markets[symbol]
            if len(m.book):
                raise ValueError(f"{symbol}: the book is not empty")
            rows = sorted(data["resting"], key=lambda r: r[0])  # arrival order = id order
            for oid, side, otype, price, qty, remaining, status, coid, ts in rows:
                order = Order(oid, symbol, side, otype, price, qty, coid, ts)
                order.remaining_lots, order.status = remaining, status
                m.book.rest(order)
                if coid is not None:
                    m.client_ids[coid] = order
            m.book.sequence = data["sequence"]
            m.history.clear()
            for row in data["history"]:
                m.history[row[0]] = tuple(row)
            m.recent_trades.clear()
            for tid, price, qty, aggressor, maker, taker, ts in data["recent_trades"]:
                m.recent_trades.append(Trade(tid, symbol, price, qty, aggressor, maker, taker, ts))
            (m.orders_accepted, m.orders_rejected, m.trade_count, m.volume_lots, m.notional_units,
             m.last_price_ticks) = data["stats"]
