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

A rider hidden while it crosses (behind a car, or lost in a swarm) comes back under a new id
on the far side of the line. Such a track is joined to the rider it continues by motion,
not by box overlap: a confirmed rider track seen on one side only, lost at most ``REJOIN_S``
ago while heading for the line, whose path (its last ``TRAIL`` points, at least
``TRAIL_MIN_S`` long, carried on at the same velocity — on the ground plane when the camera
is calibrated, else in the picture) reaches near the new track's first point (within
``REJOIN_GROUND_M`` or ``REJOIN_TOLERANCE`` of the predicted travel on the ground, within
``REJOIN_TOLERANCE`` of the new box's height or of the travel in the picture), the new track
beginning at or past the line. The new track takes its side of the line (so it is counted when clear of the line)
and its confirmation; the lost track cannot be joined again nor counted should the tracker
find its id again; the nearest prediction wins. It takes no count over, so it can only add the count a rider hidden at the line lost.

A car's, bus's or truck's box lying on that of another such vehicle tracked since before it
(``DUPLICATE_SHARE`` of either box inside the other) and of its size (IoU at least
``DUPLICATE_IOU``: a car driving on in front of a bus, its box a fifth of the bus's and wholly
inside it, is a car) is a second box of that vehicle — where two cars cross paths at a junction
the detector may give one box that slides from the first to the second, and its track "crosses"
the line by that slide. It is no side of the line for its track, and so no count while it lies
there.

``bins()`` returns ``CountBin`` records keyed by (camera, 15-minute bin start UTC, class,
movement).
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from analytics.records import CountBin, DataSource
from analytics.scene_config import SceneConfig
from pipelines.classes import TWO_WHEELERS
from pipelines.geometry import box_iou, box_nested_share, side_of_line
from pipelines.rules.base import Observation

Point = tuple[float, float]
BIN = timedelta(minutes=15)
REJOIN_S = 1.0
TRAIL = 8  # points of a rider's path kept for rejoining
TRAIL_MIN_S = 0.2
REJOIN_TOLERANCE = 0.5  # of the new box's height, or of the predicted travel when that is longer
REJOIN_GROUND_M = 1.5  # on a calibrated camera: at least this, or the share above of the predicted travel
DUPLICATE_SHARE = 0.9
DUPLICATE_IOU = 0.5


def _miss(start: Point, end: Point, span: float, actual: Point, ahead: float) -> tuple[float, float]:
    """How far ``actual`` lies from the path ``start`` → ``end`` (``span`` seconds) carried on
    for ``ahead`` seconds at the same velocity, and how far that carries it."""
    vx, vy = (end[0] - start[0]) / span, (end[1] - start[1]) / span
    error = math.hypot(actual[0] - (end[0] + vx * ahead), actual[1] - (end[1] + vy * ahead))
    return error, math.hypot(vx, vy) * ahead


@dataclass(slots=True)
class _Trail:
    """A rider's recent ground-contact points (seconds, pixels, metres on the ground when
    calibrated), and what it was at the line."""

    points: deque[tuple[float, Point, Point | None]] = field(default_factory=lambda: deque(maxlen=TRAIL))
    sides: set[int] = field(default_factory=set)  # once the track is forgotten: the sides it was seen on
    confirmed: bool = False  # and whether it was confirmed


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
        self._trails: dict[int, _Trail] = {}  # riders seen in the last REJOIN_S
        self._vouched: set[int] = set()  # riders confirmed by the lost track they rejoined
        self._since: dict[int, datetime] = {}  # when each track was first observed
        self._closed: Counter[tuple[datetime, str, str]] = Counter()
        self._reported: set[tuple[datetime, str, str]] = set()

    @property
    def counts(self) -> Counter[tuple[datetime, str, str]]:
        """Vehicles per (bin start, class, movement), open tracks with their class so far."""
        return self._closed + Counter(v for tid, v in self._open.items() if tid in self._confirmed)

    def observe(self, observations: list[Observation]) -> None:
        present = {obs.track_id for obs in observations}
        if observations:
            self._forget_old_trails(max(obs.at for obs in observations).timestamp())
        for obs in observations:
            self._since.setdefault(obs.track_id, obs.at)
        vehicles = [obs for obs in observations if obs.vehicle_class not in TWO_WHEELERS]
        for obs in observations:
            rider = obs.vehicle_class in TWO_WHEELERS
            if obs.continues is not None and obs.track_id not in self._inherited and not rider:
                self._take_over(obs.track_id, obs.continues)
            if rider and obs.track_id not in self._trails:
                self._rejoin(obs, present)
            if obs.confirmed or obs.track_id in self._vouched:
                self._confirmed.add(obs.track_id)
            if obs.track_id in self._open:
                start, _, movement = self._open[obs.track_id]
                self._open[obs.track_id] = (start, obs.vehicle_class, movement)
            if rider or obs.track_id in self._trails:
                self._trails.setdefault(obs.track_id, _Trail()).points.append((obs.at.timestamp(), obs.point,
                                                                                 obs.ground))
            if obs.track_id in self._counted or not (self._xmin <= obs.point[0] <= self._xmax):
                continue
            d = side_of_line(self.line, obs.point) / self._length
            if abs(d) < max(self._margin, self._margin_share * (obs.box[3] - obs.box[1])):
                continue
            if not rider and self._second_box(obs, vehicles):
                continue
            sides = self._sides.setdefault(obs.track_id, set())
            sides.add(1 if d > 0 else -1)
            if len(sides) == 2:
                self._counted.add(obs.track_id)
                self._sides.pop(obs.track_id, None)
                self._open[obs.track_id] = (bin_start(obs.at), obs.vehicle_class, obs.lane_id or "other")

    def _second_box(self, obs: Observation, vehicles: list[Observation]) -> bool:
        """``obs`` is a second box of another car, bus or truck in ``vehicles`` (this frame's)
        tracked since before it: on it and of its size."""
        since = self._since[obs.track_id]
        return any(other.track_id != obs.track_id and self._since[other.track_id] < since
                   and box_nested_share(obs.box, other.box) >= DUPLICATE_SHARE
                   and box_iou(obs.box, other.box) >= DUPLICATE_IOU for other in vehicles)

    def _signed(self, point: Point) -> float:
        return side_of_line(self.line, point) / self._length

    def _rejoin(self, obs: Observation, present: set[int]) -> None:
        """``obs`` is a rider track's first look: take over the side and confirmation of the
        lost rider whose path it continues (see the module docstring)."""
        now = obs.at.timestamp()
        height = obs.box[3] - obs.box[1]
        margin = max(self._margin, self._margin_share * height)
        best: tuple[float, int] | None = None
        for track_id, trail in self._trails.items():
            sides = self._sides.get(track_id, trail.sides)
            if (track_id in present or track_id in self._counted or len(sides) != 1
                    or not (trail.confirmed or track_id in self._confirmed)):
                continue
            (t0, p0, g0), (t1, p1, g1) = trail.points[0], trail.points[-1]
            if len(trail.points) < 3 or t1 - t0 < TRAIL_MIN_S or not 0 < now - t1 <= REJOIN_S:
                continue
            (side,) = sides
            if self._signed(obs.point) * side > margin:
                continue  # begins on the lost track's side: it crosses (or not) on its own
            if (self._signed(p1) - self._signed(p0)) * side >= 0:
                continue  # not heading for the line
            if g0 is not None and g1 is not None and obs.ground is not None:
                # on the ground a rider keeps its speed; in the picture it speeds up as it nears the camera
                error, travel = _miss(g0, g1, t1 - t0, obs.ground, now - t1)
                fits = error <= max(REJOIN_GROUND_M, REJOIN_TOLERANCE * travel)
            else:
                error, travel = _miss(p0, p1, t1 - t0, obs.point, now - t1)
                fits = error <= REJOIN_TOLERANCE * max(height, travel)
            if fits and (best is None or error < best[0]):
                best = (error, track_id)
        if best is None:
            return
        lost = self._trails.pop(best[1])
        self._sides[obs.track_id] = set(self._sides.pop(best[1], lost.sides))
        self._vouched.add(obs.track_id)
        self._counted.add(best[1])  # should the tracker find the lost id again: its crossing is the new id's

    def _forget_old_trails(self, now: float) -> None:
        for track_id in [t for t, trail in self._trails.items() if now - trail.points[-1][0] > REJOIN_S]:
            del self._trails[track_id]

    def _take_over(self, track_id: int, earlier: int) -> None:
        """Once per track: a car, bus or truck continuing ``earlier`` takes over its count, or
        the sides of the line it was seen on."""
        self._inherited.add(track_id)
        if earlier in self._counted:
            self._counted.add(track_id)
        elif earlier in self._sides:
            self._sides[track_id] = set(self._sides[earlier])

    def forget(self, track_id: int) -> None:
        trail = self._trails.get(track_id)
        if trail is not None:  # what a lost rider was at the line, for a new id that rejoins it
            trail.sides, trail.confirmed = self._sides.get(track_id, set()), track_id in self._confirmed
        self._sides.pop(track_id, None)
        self._counted.discard(track_id)
        self._inherited.discard(track_id)
        self._vouched.discard(track_id)
        self._since.pop(track_id, None)
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
