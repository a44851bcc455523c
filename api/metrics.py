"""Prometheus metrics, one registry per app so that several apps can coexist (tests)."""
from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)
_HTTP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.orders = Counter("matching_orders", "Orders accepted by the engine", ["symbol", "order_type", "status"], registry=r)
        self.order_errors = Counter("matching_order_errors", "Orders refused before matching", ["error_code"], registry=r)
        self.cancels = Counter("matching_cancels", "Orders cancelled on request", ["symbol"], registry=r)
        self.trades = Counter("matching_trades", "Trades executed", ["symbol"], registry=r)
        self.order_latency = Histogram("matching_order_latency_seconds", "Engine time per order", ["symbol"],
                                       buckets=_LATENCY_BUCKETS, registry=r)
        self.http = Histogram("http_request_duration_seconds", "HTTP request duration", ["method", "endpoint", "status"],
                              buckets=_HTTP_BUCKETS, registry=r)
        self.sockets = Gauge("socketio_connected_clients", "Connected Socket.IO clients", registry=r)
        self.feed_queue = Gauge("feed_queue_depth", "Engine events waiting to be published", registry=r)
        self.feed_emits = Counter("feed_emits", "Socket.IO messages emitted", ["event"], registry=r)
        self.slow_consumers = Counter("socketio_slow_consumers_disconnected",
                                      "Socket.IO clients disconnected for letting their queued output pass the bound",
                                      registry=r)
        self.subscribe_refused = Counter("socketio_subscribe_rate_limited",
                                         "subscribe/unsubscribe messages refused by the per-connection rate limit",
                                         registry=r)
        self.connections_refused = Counter("http_connections_refused", "Connections answered 503 at the connection bound",
                                           registry=r)

        # labels() builds and looks up a key under a lock on every call; the children it
        # returns are stable, so the order path keeps them in plain dicts.
        self._children: dict[tuple, Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe_order(self, result: dict[str, Any]) -> None:
        symbol = result["symbol"]
        self._child(self.orders, symbol, result["order_type"], result["status"]).inc()
        if result["trades"]:
            self._child(self.trades, symbol).inc(len(result["trades"]))
        self._child(self.order_latency, symbol).observe(result["processing_time_ms"] / 1000)

    def http_observe(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        self._child(self.http, method, endpoint, str(status)).observe(seconds)


def init_metrics(app: Flask) -> Metrics:
    metrics = Metrics()
    app.extensions["me_metrics"] = metrics

    @app.before_request
    def _start_timer() -> None:
        g.me_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("me_started")
        if started is not None:
            # The rule, not the path, so that arbitrary paths cannot blow up label cardinality.
            endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
            metrics.http_observe(request.method, endpoint, response.status_code, time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), mimetype=CONTENT_TYPE_LATEST)

    return metrics
