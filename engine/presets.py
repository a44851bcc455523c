"""Symbol presets: the crypto and forex venues the server can start with."""
from __future__ import annotations

from typing import Protocol

from engine.symbols import SymbolConfig


class _AddsSymbols(Protocol):
    def add_symbol(self, config: SymbolConfig) -> None: ...


def add_crypto_symbols(engine: _AddsSymbols) -> None:
    """BTC, ETH, BNB and SOL against USDT: tick 0.01, min notional 10 (fees 0.1% / 0.1% in the preset engine)."""
    for symbol, min_qty in (("BTC-USDT", "0.00001"), ("ETH-USDT", "0.0001"), ("BNB-USDT", "0.001"), ("SOL-USDT", "0.01")):
        engine.add_symbol(SymbolConfig(symbol, tick_size="0.01", min_quantity=min_qty, max_quantity="1000000", min_notional="10"))


def add_forex_symbols(engine: _AddsSymbols) -> None:
    """EUR-USD, GBP-USD (tick 0.00001) and USD-JPY (0.001), step 1 (fees 0.01% in the preset engine)."""
    for symbol, tick in (("EUR-USD", "0.00001"), ("GBP-USD", "0.00001"), ("USD-JPY", "0.001")):
        engine.add_symbol(SymbolConfig(symbol, tick_size=tick, min_quantity="1000", max_quantity="100000000", step_size="1"))
