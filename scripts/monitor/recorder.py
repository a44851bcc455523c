"""The sampling loop and its outputs: CSV, JSON and PNG plots on one wall-clock timeline."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import requests

from scripts.csvfile import write_rows
from scripts.monitor.process import ProcessSampler
from scripts.monitor.server import sample_server


class Recorder:
    """Samples a process and its server every ``interval_s`` until stopped or ``duration_s`` passes."""

    def __init__(self, sampler: ProcessSampler, base_url: str | None, interval_s: float) -> None:
        self.sampler = sampler
        self.base_url = base_url
        self.interval_s = interval_s
        self.rows: list[dict[str, Any]] = []
        self.marks: list[tuple[float, str]] = []  # (wall time, label) of scenario phases
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def mark(self, label: str) -> None:
        self.marks.append((time.time(), label))

    def run(self, duration_s: float) -> None:
        session = requests.Session()
        deadline = time.monotonic() + duration_s
        next_at = time.monotonic()
        while not self._stop.is_set() and time.monotonic() < deadline:
            row = self.sampler.sample().as_dict()
            if self.base_url:
                server = sample_server(self.base_url, session).as_dict()
                row.update({k: v for k, v in server.items() if k != "ts"})
            self.rows.append(row)
            next_at += self.interval_s
            self._stop.wait(max(0.0, next_at - time.monotonic()))
        session.close()

    def start(self, duration_s: float) -> None:
        self._thread = threading.Thread(target=self.run, args=(duration_s,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # ---- outputs ----------------------------------------------------------------

    def with_rates(self) -> list[dict[str, Any]]:
        """Rows plus per-second rates derived from the server's counters."""
        out = []
        prev = None
        for row in self.rows:
            row = dict(row)
            for key in ("orders_total", "trades_total", "http_requests_total"):
                rate = None
                if prev is not None and row.get(key) is not None and prev.get(key) is not None:
                    dt = row["ts"] - prev["ts"]
                    rate = (row[key] - prev[key]) / dt if dt > 0 else None
                row[key.replace("_total", "_per_s")] = rate
            out.append(row)
            prev = row
        return out

    def write(self, directory: Path, title: str, extra: dict[str, Any] | None = None,
              loadtest_series: list[dict] | None = None) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        rows = self.with_rates()
        paths = []
        paths.append(write_rows(directory / "samples.csv", rows))
        p = directory / "monitor.json"
        p.write_text(json.dumps({"title": title, "interval_s": self.interval_s, "samples": rows,
                                 "marks": self.marks, "summary": summarize(rows), **(extra or {})}, indent=2, default=str))
        paths.append(p)
        paths.append(plot(rows, self.marks, directory / "monitor.png", title, loadtest_series))
        return paths


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def stat(key: str) -> dict[str, float] | None:
        vals = sorted(r[key] for r in rows if r.get(key) is not None)
        if not vals:
            return None
        return {"min": vals[0], "median": vals[len(vals) // 2], "max": vals[-1]}

    return {k: stat(k) for k in ("cpu_percent", "rss_mb", "threads", "fds", "connections", "orders_per_s",
                                  "trades_per_s", "http_requests_per_s", "health_ms")} | {"samples": len(rows)}


def plot(rows: list[dict[str, Any]], marks: list[tuple[float, str]], path: Path, title: str,
         loadtest_series: list[dict] | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = rows[0]["ts"] if rows else time.time()
    x = [r["ts"] - t0 for r in rows]
    fig, axes = plt.subplots(4, 1, figsize=(10, 10), sharex=True)
    axes[0].plot(x, [r["cpu_percent"] for r in rows], color="tab:red")
    axes[0].set_ylabel("CPU %")
    axes[1].plot(x, [r["rss_mb"] for r in rows], color="tab:purple")
    axes[1].set_ylabel("RSS MB")
    axes[2].plot(x, [r["connections"] for r in rows], label="TCP connections")
    axes[2].plot(x, [r["threads"] for r in rows], label="threads")
    axes[2].plot(x, [r["fds"] for r in rows], label="fds")
    axes[2].legend(loc="upper left", fontsize=8)
    for key, label in (("orders_per_s", "orders/s (server)"), ("http_requests_per_s", "HTTP requests/s (server)")):
        vals = [r.get(key) for r in rows]
        if any(v is not None for v in vals):
            axes[3].plot(x, [v if v is not None else float("nan") for v in vals], label=label)
    if loadtest_series:
        lx = [row["wall"] - t0 for row in loadtest_series]
        axes[3].plot(lx, [row["sent"] for row in loadtest_series], "--", label="sent/s (load tester)")
        ax_lat = axes[3].twinx()
        ax_lat.plot(lx, [row["p99_ms"] if row["p99_ms"] is not None else float("nan") for row in loadtest_series],
                    ":", color="black", label="p99 ms (load tester)")
        ax_lat.set_ylabel("p99 ms")
        ax_lat.legend(loc="upper right", fontsize=8)
    axes[3].set_ylabel("per second")
    axes[3].set_xlabel("seconds")
    if axes[3].get_lines():
        axes[3].legend(loc="upper left", fontsize=8)
    else:  # the URL answered no /metrics: say so rather than draw an empty panel
        axes[3].text(0.5, 0.5, "no server metrics: /metrics did not answer", transform=axes[3].transAxes,
                     ha="center", va="center", color="grey")
    for ts, label in marks:
        for ax in axes:
            ax.axvline(ts - t0, color="grey", linewidth=0.8, linestyle=":")
        axes[0].annotate(label, (ts - t0, 0), fontsize=7, rotation=90, va="bottom")
    axes[0].set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
