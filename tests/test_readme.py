"""The README's examples, run as written against a real server on loopback."""
from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading

import requests

from tests.servers import ROOT, running_server, signed_in

README = (ROOT / "README.md").read_text()
README_URL = "http://127.0.0.1:5000"


def _block(heading: str, language: str) -> str:
    section = README[README.index(heading):]
    match = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert match, f"no {language} block after {heading!r}"
    return match.group(1)


def test_rest_examples_run_as_written_twice_in_a_row(tmp_path) -> None:  # type: ignore[no-untyped-def]
    block = _block("## REST API", "bash")
    assert block.startswith(f"URL={README_URL}\n")
    # Every curl must get a 2xx answer: --fail-with-body turns anything else into an error.
    prelude = 'set -euo pipefail\ncurl() { command curl -sS --fail-with-body --max-time 10 "$@"; echo; }\n'
    with running_server("--data-dir", str(tmp_path)) as url:
        script = prelude + block.replace(README_URL, url, 1)
        for attempt in (1, 2):  # the second time, ids and history are no longer those of a fresh server
            run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
            assert run.returncode == 0, f"run {attempt}: {run.stdout[-2000:]}\n{run.stderr}"
            assert '"status":"rejected"' in run.stdout and "POST_ONLY_WOULD_TAKE" in run.stdout
            assert run.stdout.count('"success":true') == 3, run.stdout  # the three cancels
        book = requests.get(f"{url}/book/BTC-USDT", timeout=5).json()
        assert book["bids"] == [] and book["asks"] == []  # the block leaves nothing of its own resting


def test_live_feed_example_prints_books_and_trades(tmp_path) -> None:  # type: ignore[no-untyped-def]
    block = _block("## Live feeds", "python")
    with running_server() as url:
        proc = subprocess.Popen([sys.executable, "-c", block.replace(README_URL, url, 1)], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        assert proc.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)  # type: ignore[union-attr]
        reader.start()

        def next_line(timeout_s: float = 15) -> str | None:
            try:
                return lines.get(timeout=timeout_s)
            except queue.Empty:
                return None

        try:
            first = next_line()  # the snapshot sent on subscribing
            assert first is not None and first.startswith("book "), first
            order = {"symbol": "BTC-USDT", "order_type": "limit", "quantity": "0.1", "price": "30000"}
            # demo-1 rests each sell and demo-2 takes it: an account never trades with itself
            sessions = {"sell": signed_in(url, 0), "buy": signed_in(url, 1)}
            seen: list[str] = []
            # The example subscribes to trades without waiting for an answer, so the first pair of
            # orders may trade before that subscription lands: try a few pairs, each given 2 s.
            for _ in range(5):
                for side in ("sell", "buy"):
                    answer = sessions[side].post(f"{url}/order", json={**order, "side": side}, timeout=5)
                    assert answer.status_code == 200
                    assert answer.json()["status"] == ("pending" if side == "sell" else "filled"), answer.json()
                while (line := next_line(2)) is not None:
                    seen.append(line)
                    if line.startswith("trade "):
                        break
                if seen and seen[-1].startswith("trade "):
                    break
            assert seen and seen[-1] == "trade 30000.00 0.10000000 buy\n", seen
            proc.send_signal(signal.SIGINT)  # Ctrl-C: the example disconnects and ends, with no traceback
            assert proc.wait(timeout=15) == 0
            reader.join(timeout=5)
            rest = []
            while (line := next_line(0.1)) is not None:
                rest.append(line)
            assert not any("Traceback" in line for line in rest), rest
        finally:
            proc.kill()
            proc.wait(timeout=10)
            reader.join(timeout=10)
            proc.stdout.close()
