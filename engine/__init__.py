"""Price-time priority matching engine: pure Python, integers inside, no I/O.

The front door: build an engine (``create_crypto_engine()`` or ``MatchingEngine()``
plus ``add_symbol``), then ``execute(Submit(...))`` / ``execute(Cancel(...))`` with
integer ticks and lots, or the string wrappers ``submit_order`` / ``cancel_order``.
"""
from engine.book import OrderBook, Trade
from engine.commands import Cancel, Command, Submit
from engine.errors import (
    DuplicateClientOrderIdError,
    EngineError,
    ErrorCode,
    RejectReason,
    ResultCode,
    SymbolNotFoundError,
    ValidationError,
)
from engine.events import (
    Event,
    LevelChanged,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderUpdated,
    TradeExecuted,
)
from engine.matcher import MatchingEngine, create_crypto_engine, create_forex_engine
from engine.order import BUY, FOK, IOC, LIMIT, MARKET, SELL, Order, OrderType, Side, Status
from engine.results import Result
from engine.sequencing import IdSource
from engine.symbols import FeeCalculator, SymbolConfig

__all__ = [
    "MatchingEngine", "create_crypto_engine", "create_forex_engine", "SymbolConfig", "FeeCalculator", "IdSource",
    "Submit", "Cancel", "Command", "Result", "ResultCode", "ErrorCode", "RejectReason",
    "Side", "OrderType", "Status", "BUY", "SELL", "LIMIT", "MARKET", "IOC", "FOK",
    "Order", "OrderBook", "Trade",
    "Event", "OrderAccepted", "OrderRejected", "OrderUpdated", "OrderCancelled", "TradeExecuted", "LevelChanged",
    "EngineError", "ValidationError", "SymbolNotFoundError", "DuplicateClientOrderIdError",
]
