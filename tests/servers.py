"""Start the real server in a subprocess on a free loopback port, and stop it."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stdout.read() if proc.stdout else ''}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"server at {url} did not become healthy in {timeout_s}s")


@contextlib.contextmanager
def running_server(*args: str, port: int | None = None, env: dict[str, str] | None = None) -> Iterator[str]:
    """Yield the base URL of ``python -m api serve`` with ``args`` on 127.0.0.1."""
    with server_process(*args, port=port, env=env) as (url, _):
        yield url


@contextlib.contextmanager
def server_process(*args: str, port: int | None = None,
                   env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like :func:`running_server`, yielding ``(url, process)``."""
    port = port or free_port()
    if "--data-dir" not in args and "--fsync" not in args:
        args = ("--fsync", "off", *args)  # in memory unless a test asks for a data directory
    cmd = [sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(port), "--log-level", "WARNING", *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def demo_key(url: str, index: int = 0) -> str:
    """The key of a demo account of a server started on loopback (``GET /demo/keys``)."""
    response = requests.get(f"{url}/demo/keys", timeout=10)
    response.raise_for_status()
    return response.json()["accounts"][index]["api_key"]


def signed_in(url: str, index: int = 0) -> requests.Session:
    """A session that sends a demo account's key with every request."""
    session = requests.Session()
    session.headers["X-API-Key"] = demo_key(url, index)
    return session
