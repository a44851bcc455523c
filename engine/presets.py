"""Symbol presets: the crypto and forex venues the server can start with."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.symbols import FeeCalculator, SymbolConfig

if TYPE_CHECKING:
    from engine.matcher import MatchingEngine


def create_crypto_engine(**kwargs: Any) -> "MatchingEngine":
    """An engine with BTC, ETH, BNB and SOL against USDT, fees 0.1% / 0.1%."""
    from engine.matcher import MatchingEngine  # engine.matcher re-exports this module

    engine = MatchingEngine(FeeCalculator("0.001", "0.001"), **kwargs)
    for symbol, min_qty in (("BTC-USDT", "0.00001"), ("ETH-USDT", "0.0001"), ("BNB-USDT", "0.001"), ("SOL-USDT", "0.01")):
        engine.add_symbol(SymbolConfig(symbol, tick_size="0.01", min_quantity=min_qty, max_quantity="1000000", min_notional="10"))
    return engine


def create_forex_engine(**kwargs: Any) -> "MatchingEngine":
    """An engine with EUR-USD, GBP-USD (tick 0.00001) and USD-JPY (0.001), fees 0.01%."""
    from engine.matcher import MatchingEngine

    engine = MatchingEngine(FeeCalculator("0.0001", "0.0001"), **kwargs)
    for symbol, tick in (("EUR-USD", "0.00001"), ("GBP-USD", "0.00001"), ("USD-JPY", "0.001")):
        engine.add_symbol(SymbolConfig(symbol, tick_size=tick, min_quantity="1000", max_quantity="100000000", step_size="1"))
    return engine
