"""The string-in, dict-out entry points of :class:`engine.matcher.MatchingEngine`.

A mixin: :mod:`engine.codec` parses the strings into a command, the engine's one
``execute`` path runs it, and the codec renders the result.  Nothing here matches.
"""
from __future__ import annotations

import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine import codec
from engine.errors import EngineError

if TYPE_CHECKING:
    import threading

    from engine.market import Market
    from engine.results import Result


class StringEntry:
    """``submit_order`` and ``cancel_order``: the engine's contract for callers that hold strings."""

    _markets: dict[str, Market]
    _lock: threading.Lock

    def _execute_locked(self, command: Any) -> Result: ...  # provided by MatchingEngine

    def submit_order(
        self,
        symbol: str,
        side: str,
        order_type: str,
        quantity: str | int | Decimal,
        price: str | int | Decimal | None = None,
        client_order_id: str | None = None,
        *,
        post_only: bool = False,
        account: int | None = None,
        self_trade_prevention: str | None = None,
        quote_quantity: str | None = None,
    ) -> dict[str, Any]:
        """Parse, execute and render one order: its result dict, or an error dict. O(log levels + fills).

        Never raises for bad input: an error leaves every book unchanged.
        """
        started = time.perf_counter_ns()
        try:
            command = codec.parse_submit(self._markets, symbol, side, order_type, quantity, price, client_order_id,
                                         post_only, account, self_trade_prevention, quote_quantity)
        except EngineError as exc:
            return exc.to_dict()
        market = self._markets[command.symbol]
        with self._lock:
            result = self._execute_locked(command)
            out = codec.submit_dict(market, result)
        out["processing_time_ms"] = (time.perf_counter_ns() - started) / 1e6
        return out

    def cancel_order(self, symbol: str, order_id: int | str | None = None,
                     client_order_id: str | None = None, *, account: int | None = None) -> dict[str, Any]:
        """Cancel a resting order by id or client id; ``success`` false if it is not live. O(orders at its level).

        With ``account``, only that account's orders are found (another's answers like an unknown order).
        """
        try:
            command = codec.parse_cancel(self._markets, symbol, order_id, client_order_id, account)
        except EngineError as exc:
            return {"success": False, **exc.to_dict()}
        market = self._markets[command.symbol]
        with self._lock:
            result = self._execute_locked(command)
            return codec.cancel_dict(market, result)
