"""Minimal HTTP servers for testing the load tester itself (run as a subprocess).

fast:  answers every request at once with 200 {}.
stall: like fast, but once the first request arrives, holds every answer from
       --stall-at to --stall-at + --stall-for seconds later (the whole server pauses).
"""
from __future__ import annotations

import argparse
import asyncio
import time


async def serve(port: int, mode: str, stall_at: float, stall_for: float) -> None:
    first: list[float] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                now = time.monotonic()
                if not first:
                    first.append(now)
                if mode == "stall":
                    start = first[0] + stall_at
                    if start <= now < start + stall_for:
                        await asyncio.sleep(start + stall_for - now)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await asyncio.sleep(120)  # bounded: a forgotten server ends by itself


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["fast", "stall"], default="fast")
    p.add_argument("--stall-at", type=float, default=1.5)
    p.add_argument("--stall-for", type=float, default=0.5)
    a = p.parse_args()
    asyncio.run(serve(a.port, a.mode, a.stall_at, a.stall_for))


if __name__ == "__main__":
    main()
