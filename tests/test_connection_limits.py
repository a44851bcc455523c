"""Connection limits of the eventlet server (api/connections.py, api/protocol.py) over loopback:
idle and slowloris floods beside a fresh client, the keep-alive timeout, the connection bound."""
from __future__ import annotations

import select
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest

from api.config import load_config
from scripts.flood import Flood, probe
from tests.servers import ROOT, demo_key, free_port, running_server, server_process

HEADER_S = 1.0
KEEPALIVE_S = 1.0
SLACK_S = 1.0  # scheduling on a shared 2-core machine, and the flood's own 50 ms poll


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_floods_are_closed_in_time_and_a_fresh_client_keeps_getting_answers() -> None:
    with running_server("--header-timeout", str(HEADER_S), "--keepalive-timeout", str(KEEPALIVE_S),
                        "--max-connections", "1000") as url:
        key = demo_key(url)
        # slow lines every 0.3 s: each read succeeds, only a deadline on the whole head stops them
        flood = Flood("127.0.0.1", _port(url), idle=150, slow=150, slow_interval_s=0.3).start()
        try:
            assert flood.ready.wait(20)
            result = probe("127.0.0.1", _port(url), duration_s=4.0, rate=20, api_key=key)
        finally:
            stats = flood.stop()
    assert result.failures == []
    assert len(result.latencies_s["GET /health"]) == 40 and len(result.latencies_s["POST /order"]) == 40
    assert result.percentile_ms("GET /health", 1.0) < 1000 and result.percentile_ms("POST /order", 1.0) < 1000
    for kind in ("idle", "slow"):
        closed = stats.closed_by_server[kind]
        assert len(closed) >= 150, f"{kind}: only {len(closed)} connections were closed by the server"
        assert max(closed) < HEADER_S + SLACK_S, f"{kind}: a connection lived {max(closed):.2f} s"
        assert max(stats.open_at_end[kind]) < HEADER_S + SLACK_S
        assert min(closed) > HEADER_S * 0.8, f"{kind}: closed after {min(closed):.2f} s, before its timeout"


def _request(sock: socket.socket, path: str = "/health") -> bytes:
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_keepalive_idle_timeout_closes_an_idle_connection_and_spares_a_busy_one() -> None:
    with running_server("--header-timeout", "5", "--keepalive-timeout", str(KEEPALIVE_S)) as url:
        busy = socket.create_connection(("127.0.0.1", _port(url)), timeout=5)
        idle = socket.create_connection(("127.0.0.1", _port(url)), timeout=5)
        with busy, idle:
            assert _request(idle).startswith(b"HTTP/1.1 200")
            started = time.monotonic()
            for _ in range(5):  # 2.5 s on one connection, never idle for the timeout
                assert _request(busy).startswith(b"HTTP/1.1 200")
                time.sleep(KEEPALIVE_S / 2)
            assert idle.recv(1) == b""  # closed, with nothing sent
            waited = time.monotonic() - started
            assert waited < KEEPALIVE_S + 5 * 0.05 + 2.5 + SLACK_S
            # a kept-alive connection that starts a request gets the header timeout for it, not less
            assert _request(busy).startswith(b"HTTP/1.1 200")
            busy.sendall(b"GET /health HTTP/1.1\r\n")
            time.sleep(KEEPALIVE_S + 0.5)
            busy.sendall(b"Host: t\r\n\r\n")
            assert busy.recv(65536).startswith(b"HTTP/1.1 200")


def _fill_the_pool(port: int, bound: int) -> list[socket.socket]:
    """``bound`` connections, each one holding a place in the server's pool."""
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(bound)]
    for _ in range(10):
        time.sleep(0.3)
        # One may have been refused while another (the start-up health check) was closing.
        refused = [s for s in held if select.select([s], [], [], 0)[0]]
        if not refused:
            return held
        for sock in refused:
            held.remove(sock)
            sock.close()
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    raise AssertionError("could not hold every place in the pool")


def test_past_the_connection_bound_a_new_connection_gets_a_fast_503() -> None:
    bound = 40
    with running_server("--max-connections", str(bound), "--header-timeout", "30") as url:
        port = _port(url)
        held = _fill_the_pool(port, bound)
        try:
            for _ in range(3):
                started = time.monotonic()
                with socket.create_connection(("127.0.0.1", port), timeout=3) as extra:
                    extra.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                    answer = b""
                    while chunk := extra.recv(65536):
                        answer += chunk
                elapsed = time.monotonic() - started
                head, _, body = answer.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 503"), answer[:200]
                assert b"\r\nRetry-After: 1\r\n" in head + b"\r\n"
                assert b'"error_code":"SERVICE_UNAVAILABLE"' in body and b"TOO_MANY_CONNECTIONS" in body
                assert elapsed < 0.5, f"the 503 took {elapsed:.3f} s"
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.3)
        with socket.create_connection(("127.0.0.1", port), timeout=3) as again:
            assert _request(again).startswith(b"HTTP/1.1 200")
            assert _request(again, "/metrics").startswith(b"HTTP/1.1 200")


def test_limits_come_from_the_environment_and_are_checked() -> None:
    cfg = load_config(environ={"ME_HEADER_TIMEOUT_S": "2.5", "ME_KEEPALIVE_TIMEOUT_S": "7",
                               "ME_MAX_CONNECTIONS": "123"})
    assert (cfg["HEADER_TIMEOUT_S"], cfg["KEEPALIVE_TIMEOUT_S"], cfg["MAX_CONNECTIONS"]) == (2.5, 7.0, 123)
    defaults = load_config(environ={})
    assert (defaults["HEADER_TIMEOUT_S"], defaults["KEEPALIVE_TIMEOUT_S"], defaults["MAX_CONNECTIONS"]) == (10, 5, 10_000)
    with pytest.raises(ValueError, match="MAX_CONNECTIONS"):
        load_config({"MAX_CONNECTIONS": 0}, environ={})
    out = subprocess.run([sys.executable, "-m", "api", "--port", str(free_port()), "--fsync", "off",
                          "--header-timeout", "-1"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "HEADER_TIMEOUT_S must be positive" in out.stderr


def test_a_stop_does_not_wait_for_idle_or_slow_connections() -> None:
    with server_process("--header-timeout", "60") as (url, proc):
        flood = Flood("127.0.0.1", _port(url), idle=50, slow=50, slow_interval_s=0.3, reopen=False).start()
        try:
            assert flood.ready.wait(20)
            time.sleep(0.5)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            stopped_in = time.monotonic() - started
        finally:
            flood.stop()
    assert proc.returncode == 0
    assert stopped_in < 10, f"the server took {stopped_in:.1f} s to stop"


def test_threading_mode_closes_idle_connections_and_keeps_websockets() -> None:
    import socketio as sio_client

    with running_server("--async-mode", "threading", "--header-timeout", str(HEADER_S)) as url:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", _port(url)), timeout=5) as idle:
            assert idle.recv(1) == b""
        assert time.monotonic() - started < HEADER_S + SLACK_S
        client = sio_client.Client()
        pongs: list[dict] = []
        client.on("pong", pongs.append, namespace="/market")
        client.connect(url, namespaces=["/market"], transports=["websocket"], wait_timeout=5)
        try:
            time.sleep(HEADER_S * 2.5)  # quiet for longer than the timeout
            client.emit("ping", {"timestamp": 1}, namespace="/market")
            deadline = time.monotonic() + 5
            while not pongs and time.monotonic() < deadline:
                time.sleep(0.05)
            assert pongs and pongs[0]["client_timestamp"] == 1
        finally:
            client.disconnect()


@pytest.mark.parametrize("hard, expected", [(600, 216), (None, 5000)], ids=["hard-limit-low", "soft-limit-raised"])
def test_the_open_file_limit_is_raised_or_the_bound_lowered_to_fit(hard: int | None, expected: int) -> None:
    import resource

    if hard is None:  # keep this process's hard limit, which must fit the bound
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard != resource.RLIM_INFINITY and hard < 5000 + 128 + 256:
            pytest.skip(f"the hard open-file limit here is {hard}")

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (600, hard))

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port), "--fsync", "off", "--log-level", "WARNING",
                             "--max-connections", "5000"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, preexec_fn=low_limit)
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while len(lines) < 10 and not (lines and lines[-1].startswith("Connections:")):
            lines.append(proc.stdout.readline())
        assert lines[-1].startswith(f"Connections: at most {expected};"), lines  # 600 - 128 refusing - 256 reserved
        lowered = any("open-file limit 600: connections bounded at 216 instead of 5000" in line for line in lines)
        assert lowered == (expected == 216)
        soft_now = psutil.Process(proc.pid).rlimit(resource.RLIMIT_NOFILE)[0]
        assert soft_now == (600 if expected == 216 else 5000 + 128 + 256)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
        if proc.stdout:
            proc.stdout.close()


def test_a_connection_that_waits_before_its_first_byte_keeps_its_deadline_from_accept() -> None:
    with running_server("--header-timeout", str(HEADER_S)) as url:
        with socket.create_connection(("127.0.0.1", _port(url)), timeout=5) as sock:
            started = time.monotonic()
            time.sleep(HEADER_S * 0.6)  # no green thread yet: the wait is the pool's
            closed_at = None
            try:
                sock.sendall(b"GET /health HTTP/1.1\r\n")
                for i in range(40):  # a header line every 50 ms, never the end of the head
                    sock.sendall(b"X-%d: v\r\n" % i)
                    time.sleep(0.05)
            except OSError:
                closed_at = time.monotonic() - started
            if closed_at is None:
                sock.settimeout(2)
                assert sock.recv(1) == b""
                closed_at = time.monotonic() - started
        assert HEADER_S * 0.85 < closed_at < HEADER_S + 0.4, f"closed {closed_at:.2f} s after connecting"


def test_the_eventlet_internals_used_are_there() -> None:
    script = "import eventlet; from api.connections import check_eventlet; check_eventlet(); print('ok')"
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", script], cwd=ROOT, capture_output=True, text=True,
                         timeout=30)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]
