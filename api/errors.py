"""JSON errors: one shape for every 4xx, and no client input ever becomes a 500."""
from __future__ import annotations

import logging
import math
import time
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger("api")

# engine error_code -> HTTP status
STATUS_BY_CODE = {
    "VALIDATION_ERROR": 400,
    "DUPLICATE_CLIENT_ORDER_ID": 400,
    "SYMBOL_NOT_FOUND": 404,
    "ORDER_NOT_FOUND": 404,
    "STORAGE_UNAVAILABLE": 503,
    "UNAUTHENTICATED": 401,
    "ACCOUNT_NOT_FOUND": 404,
    "KEY_NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "INSUFFICIENT_BALANCE": 400,
}

_HTTP_CODES = {
    400: ("BAD_REQUEST", "BAD_REQUEST"),
    404: ("NOT_FOUND", "UNKNOWN_PATH"),
    405: ("METHOD_NOT_ALLOWED", "METHOD_NOT_ALLOWED"),
    413: ("PAYLOAD_TOO_LARGE", "BODY_TOO_LARGE"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "JSON_REQUIRED"),
    429: ("RATE_LIMITED", "TOO_MANY_REQUESTS"),
}


def _retry_after_seconds() -> int:
    from flask import current_app

    from api.extensions import limiter_of

    current = limiter_of(current_app).current_limit  # type: ignore[arg-type]
    if current is None:
        return 1
    return max(1, math.ceil(current.reset_at - time.time()))


class ApiError(Exception):
    """A request the API refuses before it reaches the engine."""

    def __init__(self, status: int, error_code: str, reason: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.error_code, self.reason, self.message = status, error_code, reason, message
        self.extra = extra  # more fields for the body (ids a client can look up)
        self.headers: list[tuple[str, str]] = []

    def with_header(self, name: str, value: str) -> "ApiError":
        self.headers.append((name, value))
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.message, "error_code": self.error_code, "reason": self.reason, **self.extra}


def bad_request(reason: str, message: str) -> ApiError:
    return ApiError(400, "VALIDATION_ERROR", reason, message)


def engine_error_response(result: dict[str, Any]) -> tuple[Any, int]:
    return jsonify(result), STATUS_BY_CODE.get(result.get("error_code", ""), 400)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Any:
        response = jsonify(exc.to_dict())
        response.status_code = exc.status
        for name, value in exc.headers:
            response.headers[name] = value
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="matching-engine"'
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        error_code, reason = _HTTP_CODES.get(code, ("HTTP_ERROR", "HTTP_ERROR"))
        messages = {
            404: "no such path; see /openapi.json for the endpoints",
            405: "this method is not allowed on this path",
            413: f"the request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes",
            429: f"rate limit exceeded ({exc.description}); retry later",
        }
        response = jsonify({"error": messages.get(code, exc.description or exc.name), "error_code": error_code,
                            "reason": reason})
        response.status_code = code
        if code == 429:
            response.headers["Retry-After"] = str(_retry_after_seconds())
        allowed = getattr(exc, "valid_methods", None)
        if code == 405 and allowed:
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Any, int]:
        # A bug of ours, never the client's input: log it with the traceback.
        log.exception("unhandled error")
        return jsonify({"error": "internal error", "error_code": "INTERNAL_ERROR", "reason": "INTERNAL_ERROR"}), 500
