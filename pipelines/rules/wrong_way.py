"""wrong_way (đi ngược chiều): moving against the lane's allowed direction.

The track's heading over the last second must point against the lane direction
(cosine below -0.5) while it moves (over 1 m/s), for ``confirm`` consecutive
observations, during which it must cover at least 3 m on the ground (30 px
uncalibrated) — a stopped vehicle's jittering box never qualifies — and its net travel
since it was first measured must not be with the lane (a tracker id that jumps to
another vehicle at the far end does not turn a law-abiding track into a wrong-way one).
The whole box must move, not only its bottom edge: the top edge goes the same way by at
least a fifth as much (in perspective it moves less than the bottom, but it moves) — a rider
passing in front of a parked car merges into the car's box and drags its bottom edge
towards the camera while the top stays. A track that has already driven with its lane for
``confirm`` observations is not judged again: in dense swarms a tracker id can pass from a rider to one meeting it head-on, and a
real wrong-way rider is against the traffic from the moment it is seen.

Ground covered across a gap in the track (unseen for longer than ``max_gap_s`` and three of
its usual observation intervals) does not count: there the tracker re-found the id, and in a
row of parked cars it may re-find it on the next car, nearer the camera — a jump against the
lane by a vehicle that then stands. The run starts again after such a gap.

An observation without a heading (a track younger than the tracker's heading span, a box cut
by the frame edge) neither adds to a run nor breaks it: nothing was seen against it. A new
track beginning on the last box of a lost track that was running against the lane (IoU at
least ``take_over_iou``, within ``max_gap_s`` and three of its intervals) carries that run on:
a rider whose id changed twice in its 2.4 s on a lane — behind a car, then meeting a rider
head-on — had no id long enough to be judged. (The tracker's own guess of which lost track a
new one continues, ``Observation.continues``, picked the rider met head-on: both were lost
on the same spot. A wrongly carried run ends at the new track's first heading with the lane.)
The hit names the track the run began on (``origin_track_id``).

A track born holding a standing vehicle's box (``merged_share`` of it inside) is that
vehicle's box merged with something passing in front of it, and is never judged. A box lying on an older track's box of a standing vehicle of the same kind (two-wheeler or
not) — either box ``merged_share`` inside the other — is a second box of that vehicle, which
a wrong-way rider passing in front of a row of parked cars drags along: it is not judged
while it lies there. (A rider appearing from behind a parked car is another kind of vehicle.)
"""

from __future__ import annotations

from datetime import datetime

from analytics.records import ViolationType
from analytics.scene_config import SceneConfig
from pipelines.classes import TWO_WHEELERS
from pipelines.geometry import box_iou, box_nested_share, box_share_on
from pipelines.rules.base import FrameContext, Observation, RuleHit, unseen_too_long


class WrongWayRule:
    violation_type = ViolationType.WRONG_WAY

    def __init__(self, config: SceneConfig, *, confirm: int = 4, merged_share: float = 0.8,
                 max_gap_s: float = 0.3, take_over_iou: float = 0.1) -> None:
        self._directions = {lane.lane_id: lane.direction for lane in config.lanes}
        self._confirm = confirm
        self._merged_share = merged_share
        self._max_gap_s = max_gap_s
        self._take_over_iou = take_over_iou
        self._last_box: dict[int, tuple[float, float, float, float]] = {}  # track id → last observed box
        self._seen: dict[int, tuple[datetime, float]] = {}  # track id → last observed, last interval (s)
        self._first_seen: dict[int, int] = {}  # track id → frame first observed
        self._run: dict[int, tuple[int, Observation]] = {}
        self._with: dict[int, int] = {}  # observations moving with the lane, per track
        self._done: set[int] = set()

    def observe(self, observations: list[Observation], ctx: FrameContext) -> list[RuleHit]:
        hits = []
        present = {o.track_id for o in observations}
        standing = [(o.track_id, o.box, o.vehicle_class in TWO_WHEELERS) for o in observations
                    if o.speed_mps is not None and o.speed_mps < 1.0]
        for obs in observations:
            if obs.track_id in self._done:
                continue
            if obs.track_id not in self._first_seen and any(
                    box_share_on(box, obs.box) >= self._merged_share for tid, box, _ in standing if tid != obs.track_id):
                self._done.add(obs.track_id)  # born holding a parked vehicle's box: never judged
                continue
            if obs.track_id not in self._first_seen:
                self._take_over_run(obs, present)
            self._last_box[obs.track_id] = obs.box
            first_seen = self._first_seen.setdefault(obs.track_id, obs.frame_index)
            if self._after_gap(obs):
                self._run.pop(obs.track_id, None)
            kind = obs.vehicle_class in TWO_WHEELERS
            if any(tid != obs.track_id and two == kind and self._first_seen.get(tid, first_seen) < first_seen
                   and box_nested_share(box, obs.box) >= self._merged_share
                   for tid, box, two in standing):
                self._run.pop(obs.track_id, None)  # a second box of a standing vehicle
                continue
            direction = self._directions.get(obs.lane_id or "")
            if direction is not None and obs.heading is None:
                continue  # not seen moving either way: the run goes on
            moving = obs.speed_mps is None or obs.speed_mps > 1.0
            against = (direction is not None and obs.heading is not None and moving
                       and obs.heading[0] * direction[0] + obs.heading[1] * direction[1] < -0.5
                       and (obs.travel is None or obs.travel[0] * direction[0] + obs.travel[1] * direction[1] < 0))
            if not against:
                self._run.pop(obs.track_id, None)
                if (direction is not None and obs.heading is not None and moving
                        and obs.heading[0] * direction[0] + obs.heading[1] * direction[1] > 0.5):
                    self._with[obs.track_id] = self._with.get(obs.track_id, 0) + 1
                    if self._with[obs.track_id] >= self._confirm:
                        self._done.add(obs.track_id)  # a law-abiding track; never judged again
                continue
            count, first = self._run.get(obs.track_id, (0, obs))
            count += 1
            self._run[obs.track_id] = (count, first)
            if first.ground is not None and obs.ground is not None:
                covered = ((obs.ground[0] - first.ground[0]) ** 2 + (obs.ground[1] - first.ground[1]) ** 2) ** 0.5 >= 3.0
            else:
                covered = ((obs.point[0] - first.point[0]) ** 2 + (obs.point[1] - first.point[1]) ** 2) ** 0.5 >= 30.0
            if count >= self._confirm and covered and _whole_box_moved(first, obs, direction):
                self._done.add(obs.track_id)
                hits.append(RuleHit(violation_type=self.violation_type, track_id=obs.track_id,
                                    frame_index=first.frame_index, at=first.at, vehicle_class=obs.vehicle_class,
                                    detail=f"ngược chiều làn {obs.lane_id}",
                                    origin_track_id=first.track_id if first.track_id != obs.track_id else None))
        return hits

    def _take_over_run(self, obs: Observation, present: set[int]) -> None:
        """A new track beginning on a lost track's last box carries on its run against the lane
        (the most overlapping such track, seen within ``max_gap_s`` and three of its intervals)."""
        best: tuple[float, int] | None = None
        for lost in self._run:
            if lost in present or lost in self._done or lost not in self._seen or lost not in self._last_box:
                continue
            seen_at, interval = self._seen[lost]
            if unseen_too_long((obs.at - seen_at).total_seconds(), interval, min_gap_s=self._max_gap_s):
                continue
            overlap = box_iou(self._last_box[lost], obs.box)
            if overlap >= self._take_over_iou and (best is None or overlap > best[0]):
                best = (overlap, lost)
        if best is not None:
            self._run[obs.track_id] = self._run[best[1]]

    def _after_gap(self, obs: Observation) -> bool:
        """The track was unseen for longer than ``max_gap_s`` and three of its last intervals."""
        last = self._seen.get(obs.track_id)
        if last is None:
            self._seen[obs.track_id] = (obs.at, 0.0)
            return False
        seen_at, interval = last
        gap = (obs.at - seen_at).total_seconds()
        self._seen[obs.track_id] = (obs.at, gap or interval)
        return unseen_too_long(gap, interval, min_gap_s=self._max_gap_s)

    def finish(self, track_id: int, ctx: FrameContext) -> list[RuleHit]:
        self._seen.pop(track_id, None)
        self._last_box.pop(track_id, None)
        self._run.pop(track_id, None)
        self._with.pop(track_id, None)
        self._done.discard(track_id)
        self._first_seen.pop(track_id, None)
        return []


def _whole_box_moved(first: Observation, now: Observation, direction: tuple[float, float]) -> bool:
    """The box top moved against the lane by at least a fifth of what its bottom did."""
    def along(a: float, b: float) -> float:
        return -(a * direction[0] + b * direction[1])  # distance travelled against the lane
    (fx1, fy1, fx2, fy2), (nx1, ny1, nx2, ny2) = first.box, now.box
    bottom = along((nx1 + nx2 - fx1 - fx2) / 2, ny2 - fy2)
    top = along((nx1 + nx2 - fx1 - fx2) / 2, ny1 - fy1)
    return bottom > 0 and top >= 0.2 * bottom
