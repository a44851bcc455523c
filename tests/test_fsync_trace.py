"""Under fsync=always, every acknowledged order follows an fsync of the journal, seen by strace.

The server runs under ``strace -f`` (Debian's strace, installed by ``scripts/test.sh``), which
records each request read from a client socket, each fsync/fdatasync of the SQLite WAL, and each
response written.  An order's ``200`` must come after an fsync of the journal that happened after
its request was read.  The same check on a server whose database runs with ``synchronous=OFF``
must find acknowledgements without one, or the check could not fail.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.servers import ROOT, free_port, signed_in, wait_healthy

STRACE = shutil.which("strace")
pytestmark = pytest.mark.skipif(STRACE is None and not os.environ.get("CI"), reason="strace is not installed")

SYNC_OFF = """
import api.storage.store as store
_open = store.Store.open.__func__
def open_without_sync(cls, *args, **kwargs):
    s = _open(cls, *args, **kwargs)
    s.conn.execute("PRAGMA synchronous=OFF")
    return s
store.Store.open = classmethod(open_without_sync)
"""

_RECV = re.compile(r'recvfrom\(\d+<socket:\[(\d+)\]>, "POST /order ')
_SYNC = re.compile(r"f(?:data)?sync\(\d+<[^>]*engine\.db-wal>\) = 0")
_SEND = re.compile(r'sendto\(\d+<socket:\[(\d+)\]>, "HTTP/1\.1 200 ')


def check_trace(text: str) -> tuple[int, int]:
    """(acknowledged orders, acknowledged orders with no journal fsync between request and answer)."""
    open_requests: dict[str, bool] = {}  # socket inode -> an fsync happened since its request was read
    acked = unsynced = 0
    for line in text.splitlines():
        if (m := _RECV.search(line)) is not None:
            open_requests[m.group(1)] = False
        elif _SYNC.search(line):
            for sock in open_requests:
                open_requests[sock] = True
        elif (m := _SEND.search(line)) is not None and m.group(1) in open_requests:
            acked += 1
            unsynced += not open_requests.pop(m.group(1))
    return acked, unsynced


def traced_orders(tmp_path: Path, prelude: str, orders: int = 25) -> tuple[int, int]:
    assert STRACE is not None, "strace is required (scripts/test.sh installs it)"
    port = free_port()
    trace = tmp_path / "trace.txt"
    code = prelude + "\nfrom api.cli import main\nraise SystemExit(main())\n"
    cmd = [STRACE, "-f", "-qq", "--seccomp-bpf", "-y", "-s", "40", "-e", "trace=fsync,fdatasync,sendto,recvfrom", "-o", str(trace),
           sys.executable, "-c", code, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"),
           "--fsync", "always", "--log-level", "WARNING", "--no-rate-limit"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, timeout_s=60)
        with signed_in(url) as http:  # demo-1's key on every order
            for i in range(orders):
                r = http.post(f"{url}/order", json={"symbol": "BTC-USDT", "side": "buy" if i % 2 else "sell",
                                                    "order_type": "limit", "quantity": "0.1",
                                                    "price": str(30000 + (i % 5) * (1 if i % 2 else -1))}, timeout=10)
                assert r.status_code == 200, r.text
    finally:
        # Stop the traced server itself: strace, signalled, would detach and leave it running.
        for server in psutil.Process(proc.pid).children(recursive=True):
            server.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for server in psutil.Process(proc.pid).children(recursive=True):
                server.kill()
            proc.kill()
            proc.wait(timeout=10)
    return check_trace(trace.read_text(errors="replace"))


def test_every_acknowledged_order_follows_a_journal_fsync(tmp_path: Path) -> None:
    acked, unsynced = traced_orders(tmp_path, "")
    assert acked == 25 and unsynced == 0, (acked, unsynced)


def test_the_check_catches_a_journal_without_fsync(tmp_path: Path) -> None:
    acked, unsynced = traced_orders(tmp_path, SYNC_OFF)
    assert acked == 25 and unsynced == 25, (acked, unsynced)
