"""The load tester against real servers on loopback: reports, thresholds, pacing, coordinated omission, fan-out."""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from scripts.loadtest import profiles
from scripts.loadtest.cli import EXIT_THRESHOLD, main
from scripts.loadtest.report import parse_threshold
from tests.servers import ROOT, free_port, running_server


@contextlib.contextmanager
def fake_server(mode: str, *extra: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.fake_servers", "--port", str(port), "--mode", mode, *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


@pytest.fixture(scope="module")
def engine_server() -> Iterator[str]:
    with running_server("--l2-interval-ms", "50") as url:
        yield url


def load(tmp_path: Path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "report"
    code = main([*args, "--quiet", "--report-dir", str(out)])
    return code, json.loads((out / "summary.json").read_text())


def test_report_files_and_fields(engine_server: str, tmp_path: Path) -> None:
    code, summary = load(tmp_path, "--url", engine_server, "--rate", "200", "--duration", "2", "--connections", "8",
                         "--threshold", "error_rate<1%")
    assert code == 0
    out = tmp_path / "report"
    for name in ("summary.json", "timeseries.csv", "latency_from_intended.hgrm", "latency_from_send.hgrm",
                 "timeline.png", "percentiles.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert summary["model"] == "open" and summary["target_rate"] == 200
    assert 380 <= summary["sent"] <= 402
    o = summary["outcomes"]
    assert o["total"] == o["accepted"] + o["rejected"] + o["rate_limited"] + o["errors"] and o["accepted"] > 300
    for key in ("p50_ms", "p90_ms", "p99_ms", "p99.9_ms", "max_ms", "count"):
        assert key in summary["latency_from_intended"]
    assert summary["histograms"]["from_intended"]
    assert summary["thresholds"] == [{"threshold": "error_rate<1%", "actual": o["error_rate"], "passed": True}]
    rows = (out / "timeseries.csv").read_text().splitlines()
    assert rows[0].startswith("second,target_rate,sent,completed") and len(rows) >= 3
    assert "Percentile" in (out / "latency_from_intended.hgrm").read_text()


def test_breached_threshold_exits_non_zero(engine_server: str, tmp_path: Path) -> None:
    code, summary = load(tmp_path, "--url", engine_server, "--rate", "50", "--duration", "1", "--threshold", "p50<0.001ms")
    assert code == EXIT_THRESHOLD
    assert summary["latency_from_intended"]["count"] > 0


def test_achieved_rate_within_two_percent_of_2000(tmp_path: Path) -> None:
    with fake_server("fast") as url:
        code, summary = load(tmp_path, "--url", url, "--request", "GET /health", "--rate", "2000", "--duration", "3",
                             "--connections", "16")
    assert code == 0
    assert abs(summary["achieved_rate"] - 2000) <= 40, summary["achieved_rate"]
    assert summary["outcomes"]["errors"] == 0


def test_stall_shows_in_intended_p99_not_in_actual_p99(tmp_path: Path) -> None:
    with fake_server("stall", "--stall-at", "1.0", "--stall-for", "0.5") as url:
        code, summary = load(tmp_path, "--url", url, "--request", "GET /x", "--rate", "500", "--duration", "3",
                             "--connections", "4")
    assert code == 0
    intended, actual = summary["latency_from_intended"], summary["latency_from_send"]
    assert intended["p99_ms"] > 200, intended
    assert actual["p99_ms"] < 50, actual
    assert summary["behind_schedule"] > 100


def test_requests_past_the_timeout_count_as_timeouts(tmp_path: Path) -> None:
    with fake_server("stall", "--stall-at", "0.5", "--stall-for", "1.0") as url:
        code, summary = load(tmp_path, "--url", url, "--request", "GET /x", "--rate", "100", "--duration", "2",
                             "--connections", "4", "--timeout", "0.2")
    assert code == 0
    outcomes = summary["outcomes"]
    assert outcomes["timeouts"] >= 4, outcomes  # every connection waiting in the stall gave up
    assert outcomes["accepted"] > 50, outcomes  # and the run went on after it


def test_fanout_latency_and_sequence_checks(engine_server: str, tmp_path: Path) -> None:
    code, summary = load(tmp_path, "--url", engine_server, "--rate", "150", "--duration", "2", "--connections", "8",
                         "--subscribers", "3", "--symbols", "BTC-USDT,ETH-USDT")
    assert code == 0
    fan = summary["fanout"]
    assert fan["subscribers"] == 3 and fan["trades_expected_per_subscriber"] > 0
    assert fan["trades_missing"] == 0 and fan["duplicates"] == 0 and fan["out_of_order"] == 0
    assert fan["trade_delay"]["count"] >= 3 * fan["trades_expected_per_subscriber"] * 0.9
    assert fan["l2_delay"]["count"] > 0 and fan["time_to_last_subscriber"]["count"] > 0
    assert fan["time_to_last_subscriber"]["p50_ms"] >= fan["trade_delay"]["p50_ms"] * 0.5


def test_profiles_and_thresholds_parse() -> None:
    sp = profiles.spike(100, 500, 30, 10)
    assert sp.duration_s == 30 and sp.rate_at(5) == 100 and sp.rate_at(15) == 500 and sp.rate_at(25) == 100
    st = profiles.staged("10s@100,20s@100->500")
    assert st.rate_at(20) == pytest.approx(300) and round(st.expected_requests()) == 1000 + 6000
    sched = list(profiles.constant(1000, 1).schedule())
    assert len(sched) == 1000 and sched[1] == pytest.approx(0.001)
    assert parse_threshold("p99<20ms").value == 20 and parse_threshold("p99.9<=1s").value == 1000
    assert parse_threshold("error_rate<0.1%").value == pytest.approx(0.001)
    with pytest.raises(ValueError):
        parse_threshold("p99 about 20")


def test_bad_arguments_exit_2() -> None:
    assert main(["--url", "ftp://x", "--duration", "1"]) == 2
    assert main(["--threshold", "nonsense"]) == 2
    assert main(["--test-type", "staged", "--stages", "abc"]) == 2
