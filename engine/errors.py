"""Result codes of every command, and the exceptions that carry them at the boundary.

One enum, :class:`ResultCode`, names every outcome of a command; its values are the
stable ``reason`` strings of the REST API.  Each code belongs to a subsystem, and
each refusal maps to a top-level :class:`ErrorCode` (the API's ``error_code``).
"""
from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """Top-level error codes, stable across releases."""

    VALIDATION_ERROR = "VALIDATION_ERROR"
    SYMBOL_NOT_FOUND = "SYMBOL_NOT_FOUND"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"
    KEY_NOT_FOUND = "KEY_NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"


class ResultCode(str, Enum):
    """The outcome of one command, stable across releases.

    ``OK``: executed (an order may still end ``rejected`` by matching, with
    ``FOK_NOT_FILLABLE`` or ``POST_ONLY_WOULD_TAKE`` as its reason).  Every other
    code means nothing changed.
    """

    OK = "OK"
    # -- validation: the command is malformed or breaks a symbol's rules
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
    INVALID_ORDER_ID = "INVALID_ORDER_ID"
    ORDER_ID_REQUIRED = "ORDER_ID_REQUIRED"
    POST_ONLY_NOT_LIMIT = "POST_ONLY_NOT_LIMIT"
    INVALID_POST_ONLY = "INVALID_POST_ONLY"
    INVALID_SELF_TRADE_PREVENTION = "INVALID_SELF_TRADE_PREVENTION"
    INVALID_COMMAND = "INVALID_COMMAND"
    # -- symbols
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    # -- orders: identity and lifecycle
    CLIENT_ORDER_ID_IN_USE = "CLIENT_ORDER_ID_IN_USE"
    UNKNOWN_ORDER = "UNKNOWN_ORDER"
    ORDER_NOT_LIVE = "ORDER_NOT_LIVE"
    # -- accounts and keys
    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    INVALID_ACCOUNT_ID = "INVALID_ACCOUNT_ID"
    INVALID_ACCOUNT_NAME = "INVALID_ACCOUNT_NAME"
    ACCOUNT_ID_IN_USE = "ACCOUNT_ID_IN_USE"
    ACCOUNT_NAME_IN_USE = "ACCOUNT_NAME_IN_USE"
    INVALID_KEY_ID = "INVALID_KEY_ID"
    INVALID_KEY_DIGEST = "INVALID_KEY_DIGEST"
    KEY_ID_IN_USE = "KEY_ID_IN_USE"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    INVALID_KEY_STATUS = "INVALID_KEY_STATUS"
    KEY_REVOKED = "KEY_REVOKED"
    # -- money
    UNKNOWN_ASSET = "UNKNOWN_ASSET"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_QUOTE_QUANTITY = "INVALID_QUOTE_QUANTITY"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    # -- journal: the command cannot be recorded, so it is not executed
    JOURNAL_UNAVAILABLE = "JOURNAL_UNAVAILABLE"
    # -- replay: a recorded command that does not fit the state (the journal is not this engine's)
    ORDER_ID_ALREADY_USED = "ORDER_ID_ALREADY_USED"
    # -- matching: an accepted order that could not trade as asked (status ``rejected``)
    FOK_NOT_FILLABLE = "FOK_NOT_FILLABLE"
    POST_ONLY_WOULD_TAKE = "POST_ONLY_WOULD_TAKE"

    @property
    def error_code(self) -> ErrorCode:
        """The API's top-level ``error_code`` for a refusal."""
        return _ERROR_CODE.get(self, ErrorCode.VALIDATION_ERROR)


RejectReason = ResultCode  # the earlier name, kept for callers that import it

_ERROR_CODE = {
    ResultCode.UNKNOWN_SYMBOL: ErrorCode.SYMBOL_NOT_FOUND,
    ResultCode.CLIENT_ORDER_ID_IN_USE: ErrorCode.DUPLICATE_CLIENT_ORDER_ID,
    ResultCode.UNKNOWN_ORDER: ErrorCode.ORDER_NOT_FOUND,
    ResultCode.ORDER_NOT_LIVE: ErrorCode.ORDER_NOT_FOUND,
    ResultCode.JOURNAL_UNAVAILABLE: ErrorCode.STORAGE_UNAVAILABLE,
    ResultCode.UNKNOWN_ACCOUNT: ErrorCode.ACCOUNT_NOT_FOUND,
    ResultCode.ACCOUNT_DISABLED: ErrorCode.UNAUTHENTICATED,
    ResultCode.ACCOUNT_NAME_IN_USE: ErrorCode.ALREADY_EXISTS,
    ResultCode.KEY_ID_IN_USE: ErrorCode.ALREADY_EXISTS,
    ResultCode.ACCOUNT_ID_IN_USE: ErrorCode.ALREADY_EXISTS,
    ResultCode.UNKNOWN_KEY: ErrorCode.KEY_NOT_FOUND,
    ResultCode.INSUFFICIENT_BALANCE: ErrorCode.INSUFFICIENT_BALANCE,
}


class EngineError(Exception):
    """A command the engine refuses; nothing has changed."""

    code: ErrorCode = ErrorCode.VALIDATION_ERROR

    def __init__(self, reason: ResultCode, message: str) -> None:
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


def error_for(code: ResultCode, message: str) -> EngineError:
    """The exception class that carries ``code``."""
    cls = {ErrorCode.SYMBOL_NOT_FOUND: SymbolNotFoundError,
           ErrorCode.DUPLICATE_CLIENT_ORDER_ID: DuplicateClientOrderIdError}.get(code.error_code, ValidationError)
    err = cls(code, message)
    err.code = code.error_code
    return err
