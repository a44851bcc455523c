"""Connection floods and a fresh client beside them, over loopback: what the connection limits
are measured with (``scripts/bench_connections.py``) and tested with (``tests/test_connection_limits.py``).

* :class:`Flood` holds ``idle`` connections that send nothing and ``slow`` ones that send a
  request line and then one header line every ``slow_interval_s`` (slowloris), reopening each
  one the server closes, and records how long each lived.
* :func:`probe` is the fresh client: ``GET /health`` and ``POST /order`` alternately, each on a
  new connection, at a fixed rate, and records each outcome and latency.  Its orders carry an
  API key (``X-API-Key``): the one given, else a demo account's from the server's ``GET /demo/keys``
  (:func:`demo_key`; a server on loopback hands them to a local client).
"""
from __future__ import annotations

import http.client
import json
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

ORDER = {"symbol": "BTC-USDT", "side": "buy", "order_type": "limit", "quantity": "0.01", "price": "20000.00"}


@dataclass
class FloodStats:
    opened: int = 0
    failed_to_open: int = 0
    closed_by_server: dict[str, list[float]] = field(default_factory=lambda: {"idle": [], "slow": []})
    open_at_end: dict[str, list[float]] = field(default_factory=lambda: {"idle": [], "slow": []})


class Flood:
    """Idle and slowloris connections to ``(host, port)``, held from :meth:`start` to :meth:`stop`."""

    def __init__(self, host: str, port: int, idle: int, slow: int, slow_interval_s: float = 1.0,
                 reopen: bool = True) -> None:
        self.address = (host, port)
        self.wanted = {"idle": idle, "slow": slow}
        self.slow_interval_s = slow_interval_s
        self.reopen = reopen
        self.stats = FloodStats()
        self.ready = threading.Event()  # every connection opened once
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="flood", daemon=True)
        self._selector = selectors.DefaultSelector()
        self._due: dict[socket.socket, float] = {}  # slow socket -> when its next line is due

    def start(self) -> Flood:
        self._thread.start()
        return self

    def stop(self) -> FloodStats:
        self._stop.set()
        self._thread.join(timeout=60)
        return self.stats

    def _open(self, kind: str) -> None:
        sock = socket.socket()
        sock.settimeout(2.0)
        try:
            sock.connect(self.address)
            if kind == "slow":
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: flood\r\n")
        except OSError:
            sock.close()
            self.stats.failed_to_open += 1
            return
        sock.setblocking(False)
        self.stats.opened += 1
        self._selector.register(sock, selectors.EVENT_READ, (kind, time.monotonic()))
        if kind == "slow":
            self._due[sock] = time.monotonic() + self.slow_interval_s

    def _closed(self, sock: socket.socket) -> None:
        kind, opened_at = self._selector.get_key(sock).data
        self.stats.closed_by_server[kind].append(time.monotonic() - opened_at)
        self._selector.unregister(sock)
        self._due.pop(sock, None)
        sock.close()
        if self.reopen and not self._stop.is_set():
            self._open(kind)

    def _run(self) -> None:
        for kind, count in self.wanted.items():
            for _ in range(count):
                if self._stop.is_set():
                    break
                self._open(kind)
        self.ready.set()
        line = 0
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):
                sock = key.fileobj
                try:
                    data = sock.recv(65536)  # type: ignore[union-attr]
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:  # the server closed it (anything it sent first, e.g. a 503, is ignored)
                    self._closed(sock)  # type: ignore[arg-type]
            now = time.monotonic()
            for sock, due in list(self._due.items()):
                if due <= now:
                    line += 1
                    try:
                        sock.send(b"X-Slow-%d: still coming\r\n" % line)
                    except OSError:
                        self._closed(sock)
                        continue
                    self._due[sock] = now + self.slow_interval_s
        now = time.monotonic()
        for key in list(self._selector.get_map().values()):
            kind, opened_at = key.data
            self.stats.open_at_end[kind].append(now - opened_at)
            self._selector.unregister(key.fileobj)
            key.fileobj.close()  # type: ignore[union-attr]
        self._selector.close()


@dataclass
class ProbeResult:
    latencies_s: dict[str, list[float]] = field(default_factory=lambda: {"GET /health": [], "POST /order": []})
    failures: list[str] = field(default_factory=list)

    def percentile_ms(self, name: str, q: float) -> float:
        values = sorted(self.latencies_s[name])
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(q * len(values)))] * 1000


def demo_key(host: str, port: int, index: int = 0, timeout_s: float = 10.0) -> str:
    """The API key of a demo account of the server at ``(host, port)`` (``GET /demo/keys``)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        conn.request("GET", "/demo/keys")
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET /demo/keys answered {response.status} (a server gives its demo keys only on a "
                           f"loopback address, to a local client): {data[:200]!r}; pass an API key instead")
    return json.loads(data)["accounts"][index]["api_key"]


def probe(host: str, port: int, duration_s: float, rate: float, timeout_s: float = 2.0,
          api_key: str | None = None) -> ProbeResult:
    """Requests from a fresh client, each on a new connection; every one must answer 200.

    Orders are sent with ``api_key`` (None: a demo account's key, fetched before the clock starts).
    Latency is measured from the intended send time, so a request held up by the one before it
    counts its wait.
    """
    result = ProbeResult()
    body = json.dumps(ORDER).encode()
    order_headers = {"Content-Type": "application/json",
                     "X-API-Key": api_key if api_key is not None else demo_key(host, port)}
    started = time.monotonic()
    for i in range(int(duration_s * rate)):
        intended = started + i / rate
        delay = intended - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        name = "GET /health" if i % 2 == 0 else "POST /order"
        conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
        try:
            if name == "GET /health":
                conn.request("GET", "/health")
            else:
                conn.request("POST", "/order", body, order_headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                result.failures.append(f"{name}: {response.status}")
            else:
                result.latencies_s[name].append(time.monotonic() - intended)  # a late send counts
        except OSError as exc:
            result.failures.append(f"{name}: {exc!r}")
        finally:
            conn.close()
    return result
