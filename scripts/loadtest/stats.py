"""Latency histograms (HdrHistogram, 1 µs to 60 s, 3 significant figures) and outcome counters."""
from __future__ import annotations

from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 60_000_000
SIGNIFICANT = 3
PERCENTILES = (50.0, 90.0, 99.0, 99.9)


class Latency:
    """An HdrHistogram in microseconds that counts values beyond its range as overflow."""

    def __init__(self) -> None:
        self.hist = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT)
        self.overflow = 0

    def record_s(self, seconds: float) -> None:
        us = int(seconds * 1e6)
        if us > HIGHEST_US:
            self.overflow += 1
            us = HIGHEST_US
        self.hist.record_value(max(LOWEST_US, us))

    @property
    def count(self) -> int:
        return self.hist.get_total_count()

    def pct_ms(self, p: float) -> float | None:
        if self.count == 0:
            return None
        return self.hist.get_value_at_percentile(p) / 1000

    def summary(self) -> dict:
        if self.count == 0:
            return {"count": 0, "overflow": self.overflow}
        out = {"count": self.count, "overflow": self.overflow, "min_ms": self.hist.get_min_value() / 1000,
               "mean_ms": round(self.hist.get_mean_value() / 1000, 3), "max_ms": self.hist.get_max_value() / 1000}
        for p in PERCENTILES:
            out[f"p{p:g}_ms"] = self.pct_ms(p)
        return out

    def encoded(self) -> str:
        return self.hist.encode().decode() if isinstance(self.hist.encode(), bytes) else str(self.hist.encode())


@dataclass
class Outcomes:
    """Each request ends as exactly one of these."""

    accepted: int = 0          # 2xx
    rejected: int = 0          # 4xx other than 429: business or validation rejections
    rate_limited: int = 0      # 429
    server_errors: int = 0     # 5xx
    timeouts: int = 0
    connection_errors: int = 0
    reject_codes: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.server_errors + self.timeouts + self.connection_errors

    @property
    def total(self) -> int:
        return self.accepted + self.rejected + self.rate_limited + self.errors

    def as_dict(self) -> dict:
        total = self.total or 1
        return {
            "total": self.total, "accepted": self.accepted, "rejected": self.rejected,
            "rate_limited": self.rate_limited, "errors": self.errors, "server_errors": self.server_errors,
            "timeouts": self.timeouts, "connection_errors": self.connection_errors,
            "error_rate": self.errors / total, "reject_rate": self.rejected / total,
            "rate_limited_rate": self.rate_limited / total, "reject_codes": dict(self.reject_codes),
        }


@dataclass
class Second:
    """One row of the per-second time series."""

    second: int
    target: float = 0.0
    sent: int = 0
    completed: int = 0
    accepted: int = 0
    rejected: int = 0
    rate_limited: int = 0
    errors: int = 0
    behind: int = 0
    in_flight: int = 0
    queued: int = 0
    latency: Latency = field(default_factory=Latency)

    def row(self) -> dict:
        return {"second": self.second, "target_rate": round(self.target, 1), "sent": self.sent,
                "completed": self.completed, "accepted": self.accepted, "rejected": self.rejected,
                "rate_limited": self.rate_limited, "errors": self.errors, "behind_schedule": self.behind,
                "in_flight": self.in_flight, "queued": self.queued,
                "p50_ms": self.latency.pct_ms(50), "p99_ms": self.latency.pct_ms(99), "max_ms": self.latency.pct_ms(100)}
