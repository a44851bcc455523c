"""A server that runs for a long time holds what it holds: snapshots leave no descriptor behind."""
from __future__ import annotations

import os
import time
from pathlib import Path

import psutil

from api.storage.store import BLOCKING_THREADS
from tests.servers import server_process, signed_in


def _epoll_descriptors(pid: int) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd) == "anon_inode:[eventpoll]"
        except OSError:  # closed while listed
            continue
    return count


def _newest_snapshot(data: Path) -> int:
    """The journal position of the newest snapshot file (0 if none yet)."""
    return max((int(p.stem) for p in (data / "snapshots").glob("*.snap")), default=0)


def test_periodic_snapshots_open_no_descriptors(tmp_path: Path) -> None:
    """Each snapshot fsyncs its directory from a worker thread: that must not leave the thread a hub (and an
    epoll descriptor) of its own, one more for every worker a snapshot happens to run on."""
    order = {"symbol": "BTC-USDT", "side": "buy", "order_type": "limit", "quantity": "0.01"}
    with server_process("--data-dir", str(tmp_path), "--snapshot-interval", "1") as (url, proc), signed_in(url) as http:
        counts = [_epoll_descriptors(proc.pid)]  # the event loop's own (and, with the bug, any snapshot's so far)
        for i in range(8):
            before = _newest_snapshot(tmp_path)
            # A snapshot is taken only when something was journaled since the last one.
            r = http.post(f"{url}/order", json={**order, "price": str(20000 + i)}, timeout=10)
            assert r.status_code == 200, r.text
            deadline = time.monotonic() + 10
            while _newest_snapshot(tmp_path) <= before:
                assert time.monotonic() < deadline, "no new snapshot within 10 s"
                time.sleep(0.05)
            time.sleep(0.2)  # the snapshot's install (checksum, rename, directory fsync) ends after its file appears
            counts.append(_epoll_descriptors(proc.pid))
        # one, the event loop's, at the start and after each snapshot (the demo accounts' records may
        # have been snapshotted before the first count: a leak is then already in it)
        assert counts == [1] * len(counts), f"epoll descriptors at the start and after each of 8 snapshots: {counts}"
        if "EVENTLET_THREADPOOL_SIZE" not in os.environ:  # a size set there is the server's to use
            # the event loop's thread and the journal's small pool (api.storage.store.BLOCKING_THREADS), not
            # eventlet's default pool of 20
            assert psutil.Process(proc.pid).num_threads() <= 1 + BLOCKING_THREADS
