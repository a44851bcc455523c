"""Reading client input: JSON bodies and query parameters, strictly."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask import request

from api.errors import ApiError, bad_request


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


# One decoder for every request: json.loads with arguments would build a new one each call.
_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constants)


def parse_json_object(raw: bytes, mimetype: str, allowed: frozenset[str]) -> dict[str, Any]:
    """A JSON object from a request body; numbers become exact Decimals, never floats."""
    if mimetype != "application/json":
        raise ApiError(400, "VALIDATION_ERROR", "JSON_REQUIRED", "the body must be JSON with Content-Type: application/json")
    try:
        body = _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except (ValueError, RecursionError) as exc:
        raise bad_request("INVALID_JSON", f"the body is not valid JSON: {str(exc)[:120]}") from None
    if not isinstance(body, dict):
        raise bad_request("INVALID_JSON", "the body must be a JSON object")
    unknown = body.keys() - allowed
    if unknown:
        names = ", ".join(sorted(repr(k) for k in unknown)[:5])
        raise bad_request("UNKNOWN_FIELD", f"unknown field(s) {names}; allowed: {', '.join(sorted(allowed))}")
    return body


def json_body(allowed: frozenset[str]) -> dict[str, Any]:
    """The current Flask request's JSON object (see :func:`parse_json_object`)."""
    raw = request.get_data(cache=True) if request.mimetype == "application/json" else b""  # 413 past the limit
    return parse_json_object(raw, request.mimetype, allowed)


def require(body: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if body.get(n) is None]
    if missing:
        raise bad_request("MISSING_FIELD", f"missing required field(s): {', '.join(missing)}")


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A bounded integer query parameter."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not low <= int(raw) <= high:
        raise bad_request("INVALID_PARAMETER", f"{name} must be an integer from {low} to {high}, not {raw[:40]!r}")
    return int(raw)
