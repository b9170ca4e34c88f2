"""speeding (quá tốc độ): ground speed in the calibration zone above the limit by more than
the tolerance (5 km/h by default: Vietnamese fines start at 5 km/h over the limit).

Speeds come from the image→ground homography (km/h). While a track is in the calibrated
zone its one-second speeds are collected; when it leaves the zone (or ends) after at
least ``min_s`` seconds and ``min_samples`` speeds inside, its measured speed is the highest
one-second speed it held: the most of the medians of ``hold_s`` of consecutive speeds (at least
three), so one jumpy box does not make a speeder and a short glimpse is not judged. A driver
who sees the camera brakes: a car crossing the zone at 46 km/h falling to 42 was over a 45 km/h
threshold for its first second, and the 75th percentile of its speeds (used before) read 44.8.

Only speeds measured over ``min_span_s`` of track count as one-second speeds: a young track's
speed is that of its first few tenths of a second (a rider braking as it enters the picture
reads its entry speed, not the one-second average the law fines).

A vehicle that crosses the zone in under a second at a low frame rate (a 70 km/h motorbike
at 6 fps is in a 20 m zone for six frames) has too few one-second speeds; its speed is then
the slope of its ground positions in the zone against time (least squares, at least three
positions over ``min_passage_s``) — the average over the passage, as section control does.
A shorter passage is judged only when it covers at least ``min_passage_m`` of road and its
steps agree (the fastest no more than ``step_agreement`` times the slowest): a 70 km/h rider
hidden behind a car until it is in the zone is seen there for three frames at 6 fps, 6 m of
road. With the position of a box on the ground good to about 0.2 m in the zone, 5 m of
passage measures the speed within 8 % — well inside a 5 km/h margin at these speeds — and
step agreement rejects a passage joined from two vehicles (an id switch jumps metres).

A track measured beyond the far edge of the zone (``far_edge_y``, image rows above it) before
it entered gives one-second speeds once it has been in the zone for ``window_s``: its window
then lies inside. Out there the homography is extrapolated where a pixel spans metres, and a
track that began on another, far vehicle (an id switch at 6 fps) carries that vehicle's
position in its window. Near the camera a pixel spans centimetres: a vehicle coming up from
below the zone is measured from the start. A vehicle whose box
changes shape by more than ``turn_aspect`` (width/height against the first box of the run)
has turned and shows another face: its bottom-centre is no longer the same point of the
vehicle, so positions before and after the turn are judged as separate runs.

A track that continues a lost one (``Observation.continues``: it began within half a second
where the other was last seen) takes over its runs in the zone: at 6 fps a 55 km/h car crosses
a 15 m zone in six frames, and one missed detection in the middle gave it a second id — each
id alone was in the zone too briefly to be judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from analytics.records import ViolationType
from pipelines.geometry import ground_velocity
from pipelines.rules.base import FrameContext, Observation, RuleHit


@dataclass(kw_only=True, slots=True)
class _Run:
    """One straight stretch of a track in the zone: its first box's shape, from when its
    one-second speeds lie inside the zone, its speeds and ground positions."""
    aspect: float
    counts_from: datetime
    samples: list[tuple[float, int, datetime, str]] = field(default_factory=list)  # (km/h, frame, at, class)
    passage: list[tuple[datetime, tuple[float, float], int, str]] = field(default_factory=list)


class SpeedingRule:
    violation_type = ViolationType.SPEEDING

    def __init__(self, limit_kmh: float, *, tolerance_kmh: float = 0.0, min_s: float = 0.3, min_samples: int = 4,
                 min_passage_s: float = 0.5, min_passage_m: float = 5.0, step_agreement: float = 1.5,
                 window_s: float = 1.0, turn_aspect: float = 1.6, far_edge_y: float | None = None,
                 min_span_s: float = 0.8, hold_s: float = 0.3) -> None:
        """``far_edge_y``: the image row of the zone's far edge (None: anywhere outside is far)."""
        self._min_samples = min_samples
        self._min_span_s = min_span_s
        self._hold_s = hold_s
        self._min_passage_s = min_passage_s
        self._min_passage_m = min_passage_m
        self._step_agreement = step_agreement
        self._window_s = window_s
        self._turn_aspect = turn_aspect
        self._legal_limit = limit_kmh
        self._limit = limit_kmh + tolerance_kmh
        self._min_s = min_s
        self._runs: dict[int, list[_Run]] = {}
        self._far_edge_y = far_edge_y
        self._outside: set[int] = set()  # tracks measured beyond the zone's far edge before entering it
        self._done: set[int] = set()

    def observe(self, observations: list[Observation], ctx: FrameContext) -> list[RuleHit]:
        hits = []
        for obs in observations:
            if obs.track_id in self._done:
                continue
            if (obs.continues is not None and obs.track_id not in self._runs and obs.continues in self._runs
                    and obs.continues not in self._done):
                self._runs[obs.track_id] = self._runs.pop(obs.continues)
            if obs.in_speed_zone:
                runs = self._runs.setdefault(obs.track_id, [])
                if obs.ground is not None:
                    x1, y1, x2, y2 = obs.box
                    aspect = (x2 - x1) / max(1.0, y2 - y1)
                    if not runs or not 1 / self._turn_aspect <= aspect / runs[-1].aspect <= self._turn_aspect:
                        # after a turn, or coming from far outside, the window reaches back out of the run
                        wait = runs or obs.track_id in self._outside
                        runs.append(_Run(aspect=aspect, counts_from=obs.at + timedelta(seconds=self._window_s)
                                         if wait else obs.at))
                    runs[-1].passage.append((obs.at, obs.ground, obs.frame_index, obs.vehicle_class))
                if (runs and obs.speed_mps is not None and obs.speed_span_s >= self._min_span_s
                        and obs.at >= runs[-1].counts_from):
                    runs[-1].samples.append((obs.speed_mps * 3.6, obs.frame_index, obs.at, obs.vehicle_class))
            elif obs.track_id in self._runs:
                hits.extend(self._judge(obs.track_id))
            elif obs.ground is not None and (self._far_edge_y is None or obs.point[1] < self._far_edge_y):
                self._outside.add(obs.track_id)
        return hits

    def _judge(self, track_id: int) -> list[RuleHit]:
        judged = [(speed, run) for run in self._runs.pop(track_id, []) if (speed := self._run_kmh(run)) is not None]
        if not judged:
            return []
        self._done.add(track_id)
        speed, run = max(judged, key=lambda item: item[0])
        if speed <= self._limit:
            return []
        if run.samples:
            _, frame, at, _ = max(run.samples, key=lambda s: s[0])
            cls = run.samples[-1][3]
        else:
            at, _, frame, _ = run.passage[len(run.passage) // 2]
            cls = run.passage[-1][3]
        return [RuleHit(violation_type=self.violation_type, track_id=track_id, frame_index=frame, at=at,
                        vehicle_class=cls, speed_kmh=round(speed, 1),
                        detail=f"{speed:.0f} km/h, giới hạn {self._legal_limit:.0f} km/h")]

    def _run_kmh(self, run: _Run) -> float | None:
        samples = run.samples
        seconds = (samples[-1][2] - samples[0][2]).total_seconds() if samples else 0.0
        if len(samples) >= self._min_samples and seconds >= self._min_s:
            return self._held_max([s[0] for s in samples], seconds)
        return self._passage_kmh(run.passage)

    def _held_max(self, speeds: list[float], seconds: float) -> float:
        """The highest median of ``hold_s`` of consecutive speeds (at least three of them)."""
        k = max(3, round(self._hold_s * (len(speeds) - 1) / seconds)) if seconds > 0 else 3
        if len(speeds) <= k:
            return float(np.median(speeds))
        windows = np.lib.stride_tricks.sliding_window_view(np.asarray(speeds, float), k)
        return float(np.median(windows, axis=1).max())

    def _passage_kmh(self, passage: list[tuple[datetime, tuple[float, float], int, str]]) -> float | None:
        if len(passage) < 3:
            return None
        if (passage[-1][0] - passage[0][0]).total_seconds() < self._min_passage_s and not self._short_but_clear(passage):
            return None
        vx, vy = ground_velocity([(p[0] - passage[0][0]).total_seconds() for p in passage], [p[1] for p in passage])
        return float(np.hypot(vx, vy)) * 3.6

    def _short_but_clear(self, passage: list[tuple[datetime, tuple[float, float], int, str]]) -> bool:
        (x0, y0), (x1, y1) = passage[0][1], passage[-1][1]
        if float(np.hypot(x1 - x0, y1 - y0)) < self._min_passage_m:
            return False
        steps = []
        for (t_a, (xa, ya), _, _), (t_b, (xb, yb), _, _) in zip(passage, passage[1:]):
            dt = (t_b - t_a).total_seconds()
            if dt <= 0:
                return False
            steps.append(float(np.hypot(xb - xa, yb - ya)) / dt)
        return min(steps) > 0 and max(steps) <= self._step_agreement * min(steps)

    def finish(self, track_id: int, ctx: FrameContext) -> list[RuleHit]:
        hits = self._judge(track_id) if track_id in self._runs else []
        self._done.discard(track_id)
        self._outside.discard(track_id)
        return hits
