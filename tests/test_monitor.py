"""The monitor against a real server: found by its port (not by name), samples written and plotted."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.monitor.cli import main
from scripts.monitor.process import find_by_port
from tests.servers import demo_key, server_process


def test_monitor_finds_server_by_port_and_writes_plots(tmp_path: Path) -> None:
    # A decoy whose command line looks like the server's: name-guessing would pick it.
    decoy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "matching", "app.py"])
    try:
        with server_process() as (url, proc):
            port = int(url.rsplit(":", 1)[1])
            assert find_by_port(port).pid == proc.pid
            out = tmp_path / "mon"
            assert main(["monitor", "--url", url, "--duration", "2.5", "--interval", "0.5", "--out-dir", str(out)]) == 0
            data = json.loads((out / "monitor.json").read_text())
            assert data["pid"] == proc.pid
            assert 3 <= len(data["samples"]) <= 7
            s = data["samples"][-1]
            assert s["healthy"] is True and s["rss_mb"] > 10 and s["threads"] >= 1 and s["fds"] > 0
            assert s["orders_total"] is not None
            assert (out / "monitor.png").read_bytes()[:4] == b"\x89PNG"
            assert (out / "samples.csv").read_text().startswith("ts,cpu_percent,rss_mb")

            burst = tmp_path / "burst"
            assert main(["burst", "--url", url, "--burst-requests", "100", "--connections", "8", "--interval", "0.5",
                         "--out-dir", str(burst)]) == 0
            result = json.loads((burst / "monitor.json").read_text())["burst"]
            assert result["requests"] == 100 and sum(result["status_codes"].values()) == 100
            assert result["accounts"] == 2  # the server's two demo accounts, round-robin
            assert result["status_codes"].get("200", 0) >= 90
            assert any(r["orders_total"] and r["orders_total"] >= 100 for r in
                       json.loads((burst / "monitor.json").read_text())["samples"])

            # one connection: all 40 orders written at once, pipelined, and every one answered
            single = tmp_path / "single"
            assert main(["burst", "--url", url, "--burst-requests", "40", "--connections", "1", "--interval", "0.5",
                         "--out-dir", str(single)]) == 0
            result = json.loads((single / "monitor.json").read_text())["burst"]
            assert result["status_codes"] == {"200": 40}, result

            # --pid wins over the URL's port, which here nobody listens on
            by_pid = tmp_path / "by-pid"
            assert main(["monitor", "--pid", str(proc.pid), "--url", "http://127.0.0.1:1", "--duration", "1",
                         "--interval", "0.5", "--out-dir", str(by_pid)]) == 0
            data = json.loads((by_pid / "monitor.json").read_text())
            assert data["pid"] == proc.pid and data["samples"][-1]["rss_mb"] > 10
    finally:
        decoy.kill()
        decoy.wait(timeout=10)


def test_monitor_reports_missing_server() -> None:
    assert main(["monitor", "--port", "1", "--duration", "1"]) == 2
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=10)
    assert main(["monitor", "--pid", str(dead.pid), "--duration", "1"]) == 2


def test_order_sending_modes_use_api_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with server_process("--no-demo", "--admin-key", "adm") as (url, _):
        # no demo keys here: burst says how to give it keys instead of sending 401s
        assert main(["burst", "--url", url, "--burst-requests", "10", "--out-dir", str(tmp_path / "none")]) == 2
        err = capsys.readouterr().err
        assert "--api-key" in err and "--accounts" in err, err
        # accounts created through the admin key, then a steady load over them (profile mode)
        out = tmp_path / "profile"
        assert main(["profile", "--url", url, "--accounts", "2", "--admin-key", "adm", "--rate", "100",
                     "--scenario-duration", "1", "--connections", "4", "--interval", "0.5", "--out-dir", str(out)]) == 0
        data = json.loads((out / "monitor.json").read_text())
        assert data["accounts"]["count"] == 2 and data["accounts"]["source"] == "created"
        assert all("api_key" not in a for a in data["accounts"]["list"])  # no secret in the report
        outcomes = data["profile"]["outcomes"]
        assert outcomes["accepted"] == 100 and outcomes["rejected"] == 0, outcomes
        loadtest = json.loads((out / "loadtest-profile" / "summary.json").read_text())
        assert [a["account_id"] for a in loadtest["accounts"]["per_account"]] == \
               [a["account_id"] for a in data["accounts"]["list"]]
        assert all(a["requests"] == 50 for a in loadtest["accounts"]["per_account"])


def test_burst_with_an_api_key(tmp_path: Path) -> None:
    with server_process() as (url, _):
        out = tmp_path / "burst"
        assert main(["burst", "--url", url, "--api-key", demo_key(url, 1), "--burst-requests", "20",
                     "--connections", "2", "--interval", "0.5", "--out-dir", str(out)]) == 0
        data = json.loads((out / "monitor.json").read_text())
        assert data["burst"]["status_codes"] == {"200": 20} and data["burst"]["accounts"] == 1
        assert data["accounts"]["list"][0]["name"] == "demo-2"
