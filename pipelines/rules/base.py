"""Records shared by the rules and the helpers they have in common."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from analytics.records import ViolationType

Point = tuple[float, float]


@dataclass(frozen=True, kw_only=True, slots=True)
class Observation:
    """One confirmed track in one detected frame, as the rules see it."""

    track_id: int
    frame_index: int
    at: datetime
    box: tuple[float, float, float, float]
    vehicle_class: str  # majority vote over the track so far
    point: Point  # ground contact reference: bottom centre of the box, pixels
    ground: Point | None  # reference point on the ground plane (metres), when calibrated
    front: Point | None  # estimated front of the vehicle on the ground (metres), when calibrated
    lane_id: str | None
    across_lane: bool = False  # moving across its lane (a turn, a lane change), not along it (TrackBook._across)
    heading: Point | None  # unit image-space direction of travel over the last second
    speed_mps: float | None  # ground speed over the last second
    in_speed_zone: bool = False
    helmetless: bool = False  # a no-helmet head box lies on this track's box
    class_share: float = 1.0  # share of the track's vote (detections weighed by box height) for vehicle_class
    class_votes: int = 1  # detections the vote is based on
    travel: Point | None = None  # unit image direction from where the track was first measured to here
    speed_span_s: float = 1.0  # seconds of track speed_mps is measured over (less for a young track)
    confirmed: bool = True  # the detector has been sure of this track (TrackBook); only such tracks count
    continues: int | None = None  # the lost track of the same vehicle this track began where (TrackBook)
    far: bool = False  # too far up the picture to be placed on the ground: its lane is known, not its motion


@dataclass(frozen=True, kw_only=True, slots=True)
class FrameContext:
    frame_index: int
    at: datetime
    signal: str  # red | amber | green | unknown


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleHit:
    violation_type: ViolationType
    track_id: int
    frame_index: int
    at: datetime
    vehicle_class: str
    speed_kmh: float | None = None
    detail: str = ""
    # the track this hit carries on when the vehicle's id changed while the rule watched it
    # (a parked car's stop judged on a later id): its views — the plate — are this vehicle's
    origin_track_id: int | None = None


class Rule(Protocol):
    violation_type: ViolationType

    def observe(self, observations: list[Observation], ctx: FrameContext) -> list[RuleHit]: ...

    def finish(self, track_id: int, ctx: FrameContext) -> list[RuleHit]: ...


def unseen_too_long(gap_s: float, interval_s: float, *, min_gap_s: float, intervals: int = 3) -> bool:
    """A track unseen for ``gap_s`` was lost, not merely missed for a frame: the gap is longer
    than ``min_gap_s`` and than ``intervals`` of its usual observation interval ``interval_s``
    (so a 6 fps stream, or detection every fifth frame, does not lose every track)."""
    return gap_s > max(min_gap_s, intervals * interval_s)
