"""Load profiles: stages of (duration, start rate, end rate) and the absolute send schedule."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Stage:
    duration_s: float
    start_rate: float
    end_rate: float

    def rate_at(self, t: float) -> float:
        if self.duration_s <= 0:
            return self.end_rate
        return self.start_rate + (self.end_rate - self.start_rate) * min(1.0, t / self.duration_s)


@dataclass(frozen=True)
class Profile:
    name: str
    stages: tuple[Stage, ...]

    @property
    def duration_s(self) -> float:
        return sum(s.duration_s for s in self.stages)

    def rate_at(self, t: float) -> float:
        """Target rate (requests/s) at ``t`` seconds from the start."""
        for stage in self.stages:
            if t < stage.duration_s:
                return stage.rate_at(t)
            t -= stage.duration_s
        return 0.0

    def expected_requests(self) -> float:
        return sum(s.duration_s * (s.start_rate + s.end_rate) / 2 for s in self.stages)

    def schedule(self) -> Iterator[float]:
        """Intended send offsets (seconds from start), computed from the profile alone.

        Each gap is 1/rate at the previous send, so the schedule never depends on how
        fast the server answered: an open model.
        """
        t = 0.0
        end = self.duration_s
        while t < end:
            rate = self.rate_at(t)
            if rate <= 0:
                # skip an idle stretch to the next stage with traffic
                t = self._next_active(t)
                continue
            yield t
            t += 1.0 / rate

    def _next_active(self, t: float) -> float:
        start = 0.0
        for stage in self.stages:
            if start + stage.duration_s > t and max(stage.start_rate, stage.end_rate) > 0:
                return max(t, start) + 1e-3
            start += stage.duration_s
        return self.duration_s


def constant(rate: float, duration_s: float) -> Profile:
    return Profile("constant", (Stage(duration_s, rate, rate),))


def ramp(start_rate: float, end_rate: float, duration_s: float) -> Profile:
    return Profile("ramp", (Stage(duration_s, start_rate, end_rate),))


def spike(baseline: float, spike_rate: float, duration_s: float, spike_duration_s: float) -> Profile:
    """Baseline, a step up to ``spike_rate`` for ``spike_duration_s``, and back down."""
    before = max(0.0, (duration_s - spike_duration_s) / 2)
    after = max(0.0, duration_s - spike_duration_s - before)
    return Profile("spike", (Stage(before, baseline, baseline), Stage(spike_duration_s, spike_rate, spike_rate),
                             Stage(after, baseline, baseline)))


def soak(rate: float, duration_s: float) -> Profile:
    return Profile("soak", (Stage(duration_s, rate, rate),))


_STAGE = re.compile(r"^\s*(\d+(?:\.\d+)?)s@(\d+(?:\.\d+)?)(?:->(\d+(?:\.\d+)?))?\s*$")


def staged(spec: str) -> Profile:
    """Parse ``'10s@100,20s@100->500,10s@500'`` (duration@rate or duration@from->to)."""
    stages = []
    for part in spec.split(","):
        m = _STAGE.match(part)
        if not m:
            raise ValueError(f"bad stage {part!r}: expected like 10s@100 or 20s@100->500")
        duration, start, end = float(m.group(1)), float(m.group(2)), float(m.group(3) or m.group(2))
        stages.append(Stage(duration, start, end))
    if not stages:
        raise ValueError("no stages")
    return Profile("staged", tuple(stages))
