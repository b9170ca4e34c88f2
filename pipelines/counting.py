"""Traffic counts: each track counted once when it crosses the count line, in 15-minute bins.

Contract: the count line is the stop line when the scene has one, otherwise the
horizontal line through the middle of the speed-calibration area (or of the frame).
A track is counted when its ground-contact point has been seen on both sides of the
line within the line's extent, clear of it by a tenth of its box height (a standing box — a
false detection on the road, a vehicle queued on the line — jitters by a few pixels); its
movement is the lane it crossed in (``other`` outside the lanes) and its class the track's
voted class as last seen — a track's vote goes on after it crosses, so the count takes its
class when the track is forgotten (or when the bins are read).

Only a confirmed track (``Observation.confirmed``, see ``TrackBook``) is in the counts: a
track that crossed before the detector was sure of it is counted once it is, in the bin it
crossed in, and never if it is not. A track that continues another of the same vehicle
(``Observation.continues``: the id changed as a bus turned across the line at 6 fps) takes
over the sides that one was seen on, or its count if it was already counted — one vehicle is
one count whatever ids it had. Not for two-wheelers: in a swarm the box a lost rider leaves
is as often taken by the rider beside it (on the accuracy bench, taking sides and counts over
between riders lost three motorbikes of 36 in one swarm clip and added two elsewhere).

``bins()`` returns ``CountBin`` records keyed by (camera, 15-minute bin start UTC, class,
movement).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from analytics.records import CountBin, DataSource
from analytics.scene_config import SceneConfig
from pipelines.classes import TWO_WHEELERS
from pipelines.geometry import side_of_line
from pipelines.rules.base import Observation

Point = tuple[float, float]
BIN = timedelta(minutes=15)


def count_line(config: SceneConfig) -> tuple[Point, Point]:
    if config.stop_line is not None:
        return config.stop_line
    if config.speed is not None:
        ys = [p[1] for p in config.speed.image_points]
        xs = [p[0] for p in config.speed.image_points]
        y = (min(ys) + max(ys)) / 2
        return (min(xs), y), (max(xs), y)
    return (0.0, config.frame.height / 2), (float(config.frame.width), config.frame.height / 2)


def bin_start(at: datetime) -> datetime:
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


class Counter15:
    def __init__(self, camera_id: str, config: SceneConfig, *, margin_px: float = 2.0,
                 margin_box_share: float = 0.1) -> None:
        self.camera_id = camera_id
        self.line = count_line(config)
        (x1, y1), (x2, y2) = self.line
        self._xmin, self._xmax = min(x1, x2) - 20, max(x1, x2) + 20
        self._length = max(1.0, ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5)
        self._margin = margin_px
        self._margin_share = margin_box_share
        self._sides: dict[int, set[int]] = {}
        self._counted: set[int] = set()
        self._open: dict[int, tuple[datetime, str, str]] = {}  # counted track → (bin, class so far, movement)
        self._confirmed: set[int] = set()
        self._inherited: set[int] = set()  # tracks that took over an earlier id's sides or count
        self._closed: Counter[tuple[datetime, str, str]] = Counter()
        self._reported: set[tuple[datetime, str, str]] = set()

    @property
    def counts(self) -> Counter[tuple[datetime, str, str]]:
        """Vehicles per (bin start, class, movement), open tracks with their class so far."""
        return self._closed + Counter(v for tid, v in self._open.items() if tid in self._confirmed)

    def observe(self, observations: list[Observation]) -> None:
        for obs in observations:
            rider = obs.vehicle_class in TWO_WHEELERS
            if obs.continues is not None and obs.track_id not in self._inherited and not rider:
                self._take_over(obs.track_id, obs.continues)
            if obs.confirmed:
                self._confirmed.add(obs.track_id)
            if obs.track_id in self._open:
                start, _, movement = self._open[obs.track_id]
                self._open[obs.track_id] = (start, obs.vehicle_class, movement)
            if obs.track_id in self._counted or not (self._xmin <= obs.point[0] <= self._xmax):
                continue
            d = side_of_line(self.line, obs.point) / self._length
            if abs(d) < max(self._margin, self._margin_share * (obs.box[3] - obs.box[1])):
                continue
            sides = self._sides.setdefault(obs.track_id, set())
            sides.add(1 if d > 0 else -1)
            if len(sides) == 2:
                self._counted.add(obs.track_id)
                self._sides.pop(obs.track_id, None)
                self._open[obs.track_id] = (bin_start(obs.at), obs.vehicle_class, obs.lane_id or "other")

    def _take_over(self, track_id: int, earlier: int) -> None:
        """Once per track: a car, bus or truck continuing ``earlier`` takes over its count, or
        the sides of the line it was seen on."""
        self._inherited.add(track_id)
        if earlier in self._counted:
            self._counted.add(track_id)
        elif earlier in self._sides:
            self._sides[track_id] = set(self._sides[earlier])

    def forget(self, track_id: int) -> None:
        self._sides.pop(track_id, None)
        self._counted.discard(track_id)
        self._inherited.discard(track_id)
        confirmed = track_id in self._confirmed
        self._confirmed.discard(track_id)
        if track_id in self._open:
            bin_key = self._open.pop(track_id)
            if confirmed:
                self._closed[bin_key] += 1

    def bins(self) -> tuple[CountBin, ...]:
        """Every bin counted so far (the totals replace what an earlier segment wrote), and a
        zero for a bin reported before that has lost its only vehicle to another class."""
        counts = self.counts
        self._reported |= set(counts)
        return tuple(CountBin(camera_id=self.camera_id, bin_start=start, vehicle_class=cls, movement=movement,
                              count=counts.get((start, cls, movement), 0), source=DataSource.PIPELINE)
                     for start, cls, movement in sorted(self._reported))
