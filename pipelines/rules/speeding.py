"""speeding (quá tốc độ): ground speed in the calibration zone above the limit by more than
the tolerance (5 km/h by default: Vietnamese fines start at 5 km/h over the limit).

Speeds come from the image→ground homography (km/h). While a track is in the calibrated
zone its one-second speeds are collected; when it leaves the zone (or ends) after at
least ``min_s`` seconds and ``min_samples`` speeds inside, the 75th percentile of those speeds is its measured
speed, so one jumpy box does not make a speeder and a short glimpse is not judged.

A vehicle that crosses the zone in under a second at a low frame rate (a 70 km/h motorbike
at 6 fps is in a 20 m zone for six frames) has too few one-second speeds; its speed is then
the slope of its ground positions in the zone against time (least squares, at least three
positions over ``min_passage_s``) — the average over the passage, as section control does.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from analytics.records import ViolationType
from pipelines.rules.base import FrameContext, Observation, RuleHit


class SpeedingRule:
    violation_type = ViolationType.SPEEDING

    def __init__(self, limit_kmh: float, *, tolerance_kmh: float = 0.0, min_s: float = 0.3, min_samples: int = 4,
                 min_passage_s: float = 0.5) -> None:
        self._min_samples = min_samples
        self._min_passage_s = min_passage_s
        self._passage: dict[int, list[tuple[datetime, tuple[float, float], int, str]]] = {}
        self._legal_limit = limit_kmh
        self._limit = limit_kmh + tolerance_kmh
        self._min_s = min_s
        self._samples: dict[int, list[tuple[float, int, datetime, str]]] = {}
        self._done: set[int] = set()

    def observe(self, observations: list[Observation], ctx: FrameContext) -> list[RuleHit]:
        hits = []
        for obs in observations:
            if obs.track_id in self._done:
                continue
            if obs.in_speed_zone:
                if obs.ground is not None:
                    self._passage.setdefault(obs.track_id, []).append(
                        (obs.at, obs.ground, obs.frame_index, obs.vehicle_class))
                if obs.speed_mps is not None:
                    self._samples.setdefault(obs.track_id, []).append(
                        (obs.speed_mps * 3.6, obs.frame_index, obs.at, obs.vehicle_class))
            elif obs.track_id in self._samples or obs.track_id in self._passage:
                hits.extend(self._judge(obs.track_id))
        return hits

    def _judge(self, track_id: int) -> list[RuleHit]:
        samples = self._samples.pop(track_id, [])
        passage = self._passage.pop(track_id, [])
        if len(samples) >= self._min_samples and (samples[-1][2] - samples[0][2]).total_seconds() >= self._min_s:
            speed = float(np.percentile([s[0] for s in samples], 75))
        else:
            passage_speed = self._passage_kmh(passage)
            if passage_speed is None:
                return []
            speed = passage_speed
        self._done.add(track_id)
        if speed <= self._limit:
            return []
        if samples:
            _, frame, at, _ = max(samples, key=lambda s: s[0])
            cls = samples[-1][3]
        else:
            at, _, frame, _ = passage[len(passage) // 2]
            cls = passage[-1][3]
        return [RuleHit(violation_type=self.violation_type, track_id=track_id, frame_index=frame, at=at,
                        vehicle_class=cls, speed_kmh=round(speed, 1),
                        detail=f"{speed:.0f} km/h, giới hạn {self._legal_limit:.0f} km/h")]

    def _passage_kmh(self, passage: list[tuple[datetime, tuple[float, float], int, str]]) -> float | None:
        if len(passage) < 3 or (passage[-1][0] - passage[0][0]).total_seconds() < self._min_passage_s:
            return None
        t = np.array([(p[0] - passage[0][0]).total_seconds() for p in passage])
        xy = np.array([p[1] for p in passage])
        vx, vy = np.polyfit(t, xy[:, 0], 1)[0], np.polyfit(t, xy[:, 1], 1)[0]
        return float(np.hypot(vx, vy)) * 3.6

    def finish(self, track_id: int, ctx: FrameContext) -> list[RuleHit]:
        hits = self._judge(track_id) if track_id in self._samples or track_id in self._passage else []
        self._done.discard(track_id)
        return hits
