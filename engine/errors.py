"""Stable error codes and the exceptions that carry them inside the engine."""
from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """Top-level error codes, stable across releases."""

    VALIDATION_ERROR = "VALIDATION_ERROR"
    SYMBOL_NOT_FOUND = "SYMBOL_NOT_FOUND"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"


class RejectReason(str, Enum):
    """Finer reasons for a refused command, stable across releases."""

    PRICE_NOT_ON_TICK = "PRICE_NOT_ON_TICK"
    QUANTITY_NOT_ON_STEP = "QUANTITY_NOT_ON_STEP"
    QUANTITY_BELOW_MIN = "QUANTITY_BELOW_MIN"
    QUANTITY_ABOVE_MAX = "QUANTITY_ABOVE_MAX"
    NOTIONAL_BELOW_MIN = "NOTIONAL_BELOW_MIN"
    PRICE_REQUIRED = "PRICE_REQUIRED"
    PRICE_NOT_ALLOWED = "PRICE_NOT_ALLOWED"
    PRICE_NOT_POSITIVE = "PRICE_NOT_POSITIVE"
    INVALID_NUMBER = "INVALID_NUMBER"
    INVALID_SIDE = "INVALID_SIDE"
    INVALID_ORDER_TYPE = "INVALID_ORDER_TYPE"
    INVALID_CLIENT_ORDER_ID = "INVALID_CLIENT_ORDER_ID"
    INVALID_SYMBOL = "INVALID_SYMBOL"
    POST_ONLY_NOT_LIMIT = "POST_ONLY_NOT_LIMIT"
    INVALID_POST_ONLY = "INVALID_POST_ONLY"
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    CLIENT_ORDER_ID_IN_USE = "CLIENT_ORDER_ID_IN_USE"
    # Reasons for an order that was accepted as valid but could not trade as asked.
    FOK_NOT_FILLABLE = "FOK_NOT_FILLABLE"
    POST_ONLY_WOULD_TAKE = "POST_ONLY_WOULD_TAKE"


class EngineError(Exception):
    """A command the engine refuses; nothing has changed."""

    code: ErrorCode = ErrorCode.VALIDATION_ERROR

    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"error": self.message, "error_code": self.code.value, "reason": self.reason.value}


class ValidationError(EngineError):
    code = ErrorCode.VALIDATION_ERROR


class SymbolNotFoundError(EngineError):
    code = ErrorCode.SYMBOL_NOT_FOUND


class DuplicateClientOrderIdError(EngineError):
    code = ErrorCode.DUPLICATE_CLIENT_ORDER_ID
