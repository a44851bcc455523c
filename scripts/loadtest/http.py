"""A small HTTP/1.1 keep-alive client on asyncio streams: one request at a time per connection.

Written for the load tester: no pooling magic, so the moment a request is written
is the moment it is sent, and that is what the tester records.
"""
from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit


class HttpError(Exception):
    """Connection or protocol failure (not an HTTP status)."""


class HttpConnection:
    def __init__(self, base_url: str, timeout_s: float = 10.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"unsupported URL scheme in {base_url!r}")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self.host_header = parts.netloc
        self.timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port, ssl=self.ssl)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    def build(self, method: str, path: str, body: bytes | None = None, headers: bytes = b"") -> bytes:
        """One request; ``headers`` are extra header lines, each ending in CRLF (e.g. the API key's)."""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host_header}\r\nConnection: keep-alive\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        return head.encode() + headers + b"\r\n" + (body or b"")

    async def send(self, raw: bytes) -> None:
        """Write one request (connecting first if needed)."""
        if self._writer is None:
            async with asyncio.timeout(self.timeout_s):
                await self._connect()
        assert self._writer is not None
        self._writer.write(raw)

    async def receive(self) -> tuple[int, bytes]:
        """Read one response: (status, body)."""
        try:
            async with asyncio.timeout(self.timeout_s):  # no task per request, unlike wait_for
                return await self._read_response()
        except asyncio.TimeoutError:
            self.close()
            raise
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.close()
            raise HttpError(str(exc) or type(exc).__name__) from None

    async def _read_response(self) -> tuple[int, bytes]:
        reader = self._reader
        assert reader is not None
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise ValueError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        length = None
        chunked = False
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if chunked:
            body = b""
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                body += await reader.readexactly(size + 2)
                body = body[:-2]
        elif length is not None:
            body = await reader.readexactly(length)
        else:
            body = await reader.read()
            close = True
        if close:
            self.close()
        return status, body

    async def request(self, method: str, path: str, body: bytes | None = None,
                      headers: bytes = b"") -> tuple[int, bytes]:
        try:
            await self.send(self.build(method, path, body, headers))
        except (OSError, asyncio.TimeoutError) as exc:
            self.close()
            raise HttpError(str(exc) or type(exc).__name__) from None
        return await self.receive()
