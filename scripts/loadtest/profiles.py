"""Load profiles: stages of (duration, start rate, end rate) and the absolute send schedule."""
from __future__ import annotations

import math
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

    def offset_of(self, count: float) -> float:
        """Seconds into the stage at which ``count`` requests are expected to have been sent.

        Solves ``start*t + slope*t**2/2 = count`` in the form that stays exact when the
        slope is zero or tiny.
        """
        if count <= 0:
            return 0.0
        slope = (self.end_rate - self.start_rate) / self.duration_s if self.duration_s > 0 else 0.0
        root = math.sqrt(max(0.0, self.start_rate ** 2 + 2 * slope * count))
        return 2 * count / (self.start_rate + root)


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

    def request_count(self) -> int:
        """How many requests the schedule holds: the expected count, rounded down.

        The epsilon absorbs floating-point error in the sum (1000/s for 10 s is 10,000, not 9,999).
        """
        return int(self.expected_requests() + 1e-6)

    def schedule(self) -> Iterator[float]:
        """Intended send offsets (seconds from start), computed from the profile alone.

        Request *i* goes at the time the profile's cumulative expected count reaches *i*
        (for a constant rate, ``i / rate``), so there are exactly ``request_count()`` of them,
        none at or after the end, and the schedule never depends on how fast the server
        answered: an open model. O(stages + requests).
        """
        n = self.request_count()
        i = 0
        start_s = 0.0
        before = 0.0  # expected requests in the stages already passed
        for stage in self.stages:
            in_stage = stage.duration_s * (stage.start_rate + stage.end_rate) / 2
            while i < n and i < before + in_stage:
                yield min(start_s + stage.offset_of(i - before), self.duration_s)
                i += 1
            before += in_stage
            start_s += stage.duration_s

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
