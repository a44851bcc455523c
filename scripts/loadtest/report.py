"""Summary, thresholds and report files: JSON, per-second CSV, PNG charts, .hgrm."""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.csvfile import write_rows
from scripts.loadtest.accounts import Accounts
from scripts.loadtest.runner import RunState
from scripts.loadtest.stats import Latency


def summarize(state: RunState, target: str, fanout: dict | None, accounts: Accounts | None = None) -> dict[str, Any]:
    window = state.profile.duration_s or 1e-9
    out: dict[str, Any] = {
        "target": target,
        "model": state.model,
        "profile": {"name": state.profile.name, "duration_s": state.profile.duration_s,
                    "stages": [vars(s) for s in state.profile.stages]},
        "connections": state.connections,
        "started_at": state.started_wall,
        "target_rate": round(state.profile.expected_requests() / max(state.profile.duration_s, 1e-9), 2)
        if state.model == "open" else None,
        # Responses (any status) that arrived inside the window, per second of the window:
        # requests sent late or answered after the window do not count, so a server that
        # stalls cannot reach its target by having its backlog sent and answered afterwards.
        "achieved_rate": round(state.answered_in_window / window, 2),
        "answered_in_window": state.answered_in_window,
        "window_s": state.profile.duration_s,
        "scheduled": state.scheduled,
        "sent": state.sent,
        "unsent": state.unsent,
        "behind_schedule": state.behind,
        "sent_after_window": state.sent_after_window,
        "cancels_sent": state.cancels_sent,
        "own_orders_resting": len(state.live) if state.live is not None else None,
        "max_send_lag_ms": round(state.max_lag_s * 1000, 3),
        "outcomes": state.outcomes.as_dict(),
        "latency_from_intended": state.intended.summary(),
        "latency_from_send": state.actual.summary(),
        "histograms": {"from_intended": state.intended.encoded(), "from_send": state.actual.encoded()},
        "accounts": accounts_summary(state, accounts),
    }
    if fanout is not None:
        hists = fanout.pop("_hist", {})
        out["fanout"] = fanout
        for name, hist in hists.items():
            out["histograms"][f"fanout_{name}"] = hist.encoded()
    return out


def accounts_summary(state: RunState, accounts: Accounts | None) -> dict[str, Any]:
    """How many accounts the run used, where their keys came from, and what each sent (never a key)."""
    listed = accounts.accounts if accounts is not None else []
    counts = {"requests": state.account_sent, "cancels": state.account_cancels,
              "accepted": state.account_accepted, "rejected": state.account_rejected}
    rows = [{**account.public(), **{name: values[i] if i < len(values) else 0 for name, values in counts.items()}}
            for i, account in enumerate(listed)]
    return {"count": accounts.distinct if accounts is not None else 0, "keys": len(listed),
            "source": accounts.source if accounts is not None else "none", "per_account": rows}


# ---- thresholds ------------------------------------------------------------------

_THRESHOLD = re.compile(r"^\s*([a-z0-9_.]+)\s*(<=|>=|<|>)\s*([0-9.]+)\s*(ms|us|µs|s|%|/s)?\s*$")
_UNITS = {"ms": 1.0, "us": 0.001, "µs": 0.001, "s": 1000.0}


@dataclass
class Threshold:
    text: str
    metric: str
    op: str
    value: float

    def actual(self, summary: dict[str, Any]) -> float | None:
        lat = summary["latency_from_intended"]
        out = summary["outcomes"]
        m = self.metric
        if re.fullmatch(r"p\d+(\.\d+)?", m):
            return lat.get(f"{m}_ms")
        if m in ("max", "mean", "min"):
            return lat.get(f"{m}_ms")
        if m in ("error_rate", "reject_rate", "rate_limited_rate"):
            return out[m]
        if m == "achieved_rate":
            return summary[m]
        if m.startswith("fanout_") and "fanout" in summary:
            fan = summary["fanout"]["trade_delay"]
            return fan.get(f"{m[len('fanout_'):]}_ms")
        return None

    def passed(self, summary: dict[str, Any]) -> bool:
        actual = self.actual(summary)
        if actual is None:
            return False
        return {"<": actual < self.value, "<=": actual <= self.value,
                ">": actual > self.value, ">=": actual >= self.value}[self.op]


def parse_threshold(text: str) -> Threshold:
    """'p99<20ms', 'error_rate<0.1%', 'achieved_rate>=1900/s', 'fanout_p99<50ms'."""
    m = _THRESHOLD.match(text)
    if not m:
        raise ValueError(f"bad threshold {text!r}: expected like p99<20ms or error_rate<0.1%")
    metric, op, number, unit = m.group(1), m.group(2), float(m.group(3)), m.group(4)
    is_latency = bool(re.fullmatch(r"(p\d+(\.\d+)?|max|mean|min|fanout_p\d+(\.\d+)?)", metric))
    if is_latency:
        number *= _UNITS.get(unit or "ms", 1.0)
    elif unit == "%":
        number /= 100
    known = is_latency or metric in ("error_rate", "reject_rate", "rate_limited_rate", "achieved_rate")
    if not known:
        raise ValueError(f"unknown threshold metric {metric!r}")
    return Threshold(text, metric, op, number)


# ---- files -------------------------------------------------------------------------

def write_reports(summary: dict[str, Any], state: RunState, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    p = directory / "summary.json"
    p.write_text(json.dumps(summary, indent=2, default=str))
    paths.append(p)
    rows = [state.seconds[s].row() for s in sorted(state.seconds)]
    paths.append(write_rows(directory / "timeseries.csv", rows))
    for name, hist in (("latency_from_intended", state.intended), ("latency_from_send", state.actual)):
        p = directory / f"{name}.hgrm"
        p.write_text(hgrm(hist))
        paths.append(p)
    paths.extend(plot(rows, state, directory))
    return paths


def hgrm(latency: Latency) -> str:
    """HdrHistogram's percentile distribution, in milliseconds."""
    if latency.count == 0:
        return "no samples\n"
    buf = io.BytesIO()
    latency.hist.output_percentile_distribution(buf, 1000)
    return buf.getvalue().decode()


def plot(rows: list[dict], state: RunState, directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    secs = [r["second"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    ax1.plot(secs, [r["target_rate"] for r in rows], "--", color="grey", label="target rate")
    ax1.plot(secs, [r["sent"] for r in rows], label="sent/s")
    ax1.plot(secs, [r["accepted"] for r in rows], label="accepted/s")
    ax1.plot(secs, [r["rejected"] + r["rate_limited"] + r["errors"] for r in rows], label="rejected+limited+errors/s")
    ax1.set_ylabel("requests per second")
    ax1.legend(loc="upper left", fontsize=8)
    ax1.set_title(f"{state.model}-model load, {state.profile.name} profile, {state.connections} connections")
    for key, label in (("p50_ms", "p50"), ("p99_ms", "p99"), ("max_ms", "max")):
        ax2.plot(secs, [r[key] if r[key] is not None else float("nan") for r in rows], label=f"{label} (from intended send)")
    ax2.set_yscale("log")
    ax2.set_ylabel("latency, ms")
    ax2.set_xlabel("seconds")
    ax2.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    out = directory / "timeline.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 5))
    for name, lat in (("from intended send", state.intended), ("from actual send", state.actual)):
        if lat.count:
            pts = [(p, lat.hist.get_value_at_percentile(p) / 1000) for p in
                   (0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100)]
            ax.plot([1 / (1 - p / 100) if p < 100 else 1e5 for p, _ in pts], [v for _, v in pts], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks([1, 10, 100, 1000, 10000])
    ax.set_xticklabels(["0%", "90%", "99%", "99.9%", "99.99%"])
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency, ms")
    ax.set_title("Latency by percentile")
    ax.legend()
    fig.tight_layout()
    out2 = directory / "percentiles.png"
    fig.savefig(out2, dpi=110)
    plt.close(fig)
    return [out, out2]
