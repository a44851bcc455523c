"""Request header fields, read strictly: what the eventlet protocol (api/protocol.py) parses with."""
from __future__ import annotations

import re
from typing import Any

MAX_HEADERS = 100
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")


class BadHeaders(ValueError):
    """Header fields that are not valid HTTP/1.1 (the client gets a 400)."""


class RequestHeaders:
    """A request's header fields: the raw pairs in order, and case-insensitive lookup.

    Offers the part of :class:`http.client.HTTPMessage` that eventlet's WSGI server uses.
    """

    __slots__ = ("_first", "_headers")

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._headers = pairs
        first: dict[str, str] = {}
        for name, value in pairs:
            first.setdefault(name.lower(), value)
        self._first = first

    def get(self, name: str, default: Any = None) -> Any:
        """The first value of a field, or ``default``."""
        return self._first.get(name.lower(), default)

    def __getitem__(self, name: str) -> str | None:
        return self._first.get(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    def __len__(self) -> int:
        return len(self._headers)

    def get_all(self, name: str, failobj: Any = None) -> list[str] | Any:
        key = name.lower()
        values = [v for n, v in self._headers if n.lower() == key]
        return values or failobj

    def get_content_type(self) -> str:
        """The media type in lower case; ``text/plain`` when absent or malformed, as e-mail headers."""
        value = self.get("content-type", "").split(";", 1)[0].strip().lower()
        return value if value.count("/") == 1 else "text/plain"


def read_headers(rfile: Any) -> RequestHeaders:
    """Header lines up to the empty line. Line and total size limits are the reader's.

    Strict where laxness lets requests be read two ways: obsolete line folding, a name that
    is not a token (or has space before its colon), and repeated Content-Length or
    Transfer-Encoding fields are refused.
    """
    pairs: list[tuple[str, str]] = []
    seen_framing: set[str] = set()
    while True:
        line = rfile.readline()
        if line in (b"\r\n", b"\n", b""):
            return RequestHeaders(pairs)
        if len(pairs) == MAX_HEADERS:
            raise BadHeaders(f"more than {MAX_HEADERS} header fields")
        text = line.decode("iso-8859-1")
        name, colon, value = text.partition(":")
        if not colon or not _TOKEN.match(name):
            raise BadHeaders(f"malformed header line {text.rstrip()[:80]!r}")
        key = name.lower()
        if key in ("content-length", "transfer-encoding"):
            if key in seen_framing:
                raise BadHeaders(f"repeated {name} header")
            seen_framing.add(key)
        pairs.append((name, value.strip(" \t\r\n")))
