"""Reading the server's /metrics (Prometheus text) and /health."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import requests
from prometheus_client.parser import text_string_to_metric_families


@dataclass
class ServerSample:
    ts: float
    healthy: bool
    health_ms: float | None
    orders_total: float | None
    trades_total: float | None
    order_errors_total: float | None
    http_requests_total: float | None
    sockets: float | None
    feed_queue: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def _sum(families: dict, name: str, sample_name: str | None = None) -> float | None:
    fam = families.get(name)
    if fam is None:
        return None
    wanted = sample_name or name
    return sum(s.value for s in fam.samples if s.name == wanted)


def sample_server(base_url: str, session: requests.Session, timeout_s: float = 2.0) -> ServerSample:
    ts = time.time()
    healthy, health_ms = False, None
    try:
        t0 = time.perf_counter()
        r = session.get(f"{base_url}/health", timeout=timeout_s)
        health_ms = (time.perf_counter() - t0) * 1000
        healthy = r.status_code == 200 and r.json().get("status") == "healthy"
    except (requests.RequestException, ValueError):
        healthy = False  # an unreachable or confused server is simply not healthy
    families: dict = {}
    try:
        r = session.get(f"{base_url}/metrics", timeout=timeout_s)
        if r.status_code == 200:
            families = {f.name: f for f in text_string_to_metric_families(r.text)}
    except requests.RequestException:
        families = {}  # no metrics this time: the sample records them as missing
    return ServerSample(
        ts=ts, healthy=healthy, health_ms=health_ms,
        orders_total=_sum(families, "matching_orders", "matching_orders_total"),
        trades_total=_sum(families, "matching_trades", "matching_trades_total"),
        order_errors_total=_sum(families, "matching_order_errors", "matching_order_errors_total"),
        http_requests_total=_sum(families, "http_request_duration_seconds", "http_request_duration_seconds_count"),
        sockets=_sum(families, "socketio_connected_clients"),
        feed_queue=_sum(families, "feed_queue_depth"),
    )
