"""A clean stop on SIGTERM and on SIGINT writes the final snapshot, also for a server started in the background."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT, free_port, signed_in, wait_healthy

DEMO_RECORDS = 2 * (2 + 5)  # per demo account: CreateAccount, AddKey, a Deposit of each of the 5 crypto assets


def _as_a_background_job() -> None:
    # What a non-interactive shell does for `cmd &`: the job starts with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("mode", ["eventlet", "threading"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly_with_a_final_snapshot(tmp_path: Path, sig: signal.Signals, mode: str) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port), "--data-dir", str(tmp_path),
                             "--async-mode", mode, "--log-level", "WARNING"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, preexec_fn=_as_a_background_job)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        with signed_in(url) as http:
            for price in ("30000", "30001", "30002"):
                r = http.post(f"{url}/order", json={"symbol": "BTC-USDT", "side": "sell", "order_type": "limit",
                                                    "quantity": "0.1", "price": price}, timeout=10)
                assert r.status_code == 200, r.text
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, out
    assert "writing a final snapshot" in out
    conn = sqlite3.connect(tmp_path / "engine.db")
    try:
        # taken after the last record
        assert conn.execute("SELECT MAX(lsn) FROM snapshots").fetchone()[0] == DEMO_RECORDS + 3
    finally:
        conn.close()
