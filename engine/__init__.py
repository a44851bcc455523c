"""Price-time priority matching engine: pure Python, integers inside, no I/O."""
from engine.book import OrderBook, PriceLevel, Trade
from engine.errors import ErrorCode, RejectReason
from engine.matcher import (
    DuplicateClientOrderIdError,
    EngineError,
    FeeCalculator,
    MatchingEngine,
    SymbolConfig,
    SymbolNotFoundError,
    ValidationError,
    create_crypto_engine,
    create_forex_engine,
)
from engine.order import Order

__all__ = [
    "Order", "OrderBook", "PriceLevel", "Trade", "MatchingEngine", "SymbolConfig", "FeeCalculator",
    "EngineError", "ValidationError", "SymbolNotFoundError", "DuplicateClientOrderIdError",
    "ErrorCode", "RejectReason", "create_crypto_engine", "create_forex_engine",
]
