"""speeding (quá tốc độ): ground speed in the calibration zone above the limit.

Speeds come from the image→ground homography (km/h). While a track is in the calibrated
zone its one-second speeds are collected; when it leaves the zone (or ends) after at
least ``min_s`` seconds and ``min_samples`` speeds inside, the 75th percentile of those speeds is its measured
speed, so one jumpy box does not make a speeder and a short glimpse is not judged.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from analytics.records import ViolationType
from pipelines.rules.base import FrameContext, Observation, RuleHit


class SpeedingRule:
    violation_type = ViolationType.SPEEDING

    def __init__(self, limit_kmh: float, *, tolerance_kmh: float = 0.0, min_s: float = 0.3, min_samples: int = 4) -> None:
        self._min_samples = min_samples
        self._limit = limit_kmh + tolerance_kmh
        self._min_s = min_s
        self._samples: dict[int, list[tuple[float, int, datetime, str]]] = {}
        self._done: set[int] = set()

    def observe(self, observations: list[Observation], ctx: FrameContext) -> list[RuleHit]:
        hits = []
        for obs in observations:
            if obs.track_id in self._done:
                continue
            if obs.in_speed_zone and obs.speed_mps is not None:
                self._samples.setdefault(obs.track_id, []).append(
                    (obs.speed_mps * 3.6, obs.frame_index, obs.at, obs.vehicle_class))
            elif obs.track_id in self._samples:
                hits.extend(self._judge(obs.track_id))
        return hits

    def _judge(self, track_id: int) -> list[RuleHit]:
        samples = self._samples.pop(track_id, [])
        if len(samples) < self._min_samples or (samples[-1][2] - samples[0][2]).total_seconds() < self._min_s:
            return []
        self._done.add(track_id)
        speed = float(np.percentile([s[0] for s in samples], 75))
        if speed <= self._limit:
            return []
        fastest = max(samples, key=lambda s: s[0])
        return [RuleHit(violation_type=self.violation_type, track_id=track_id, frame_index=fastest[1], at=fastest[2],
                        vehicle_class=samples[-1][3], speed_kmh=round(speed, 1),
                        detail=f"{speed:.0f} km/h, giới hạn {self._limit:.0f} km/h")]

    def finish(self, track_id: int, ctx: FrameContext) -> list[RuleHit]:
        hits = self._judge(track_id) if track_id in self._samples else []
        self._done.discard(track_id)
        return hits
