"""Structured one-line log records (JSON), to stderr and optionally a file."""
from __future__ import annotations

import json
import logging
import sys
import time

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(level: str, log_file: str | None = None) -> None:
    """Install the JSON formatter on the project's loggers (idempotent)."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file))
    for name in ("api", "engine", "matching_engine"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            if getattr(old, "_me_handler", False):
                logger.removeHandler(old)
                old.close()
        for handler in handlers:
            handler.setFormatter(JsonFormatter())
            handler._me_handler = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.setLevel(level.upper())
        logger.propagate = False
