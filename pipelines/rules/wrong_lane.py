"""wrong_lane (đi sai làn): a vehicle class travelling in a lane not allowed for it.

The track's voted class must be outside the lane's ``allowed_classes`` for at least
``hold_s`` seconds of consecutive observations in that same lane, and the class vote
must be settled (at least ``min_observations`` detections, ``min_share`` of them agreeing),
so a detector hesitating between motorbike and car does not create the event. The hold is
short (0.6 s) because configured lanes end at the junction: a car in the motorbike lane may
be measurable there for under a second (after its box leaves the frame edge). A vehicle seen
only far up the picture (``Observation.far``: its lane is known, not its place on the road)
must hold ``far_hold_s`` (3 s): there the tracker breaks one car into short-lived ids (a
fragment of a car already judged nearer the camera is not a new violation), and a 20 px
motorbike is read as a car more often than near the camera.

An observation moving across its lane (``Observation.across_lane``: a truck turning through the
junction over the motorbike lane's end, a car changing lanes) is not travelling in that lane: it
breaks the run as leaving the lane does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from analytics.records import ViolationType
from analytics.scene_config import VEHICLE_CLASSES, VEHICLE_NAMES_VI, SceneConfig
from pipelines.rules.base import FrameContext, Observation, RuleHit


class WrongLaneRule:
    violation_type = ViolationType.WRONG_LANE

    def __init__(self, config: SceneConfig, *, hold_s: float = 0.6, far_hold_s: float = 3.0,
                 min_observations: int = 4, min_share: float = 0.7) -> None:
        self._min_share = min_share
        self._allowed = {lane.lane_id: frozenset(lane.allowed_classes) for lane in config.lanes}
        self._hold, self._far_hold = timedelta(seconds=hold_s), timedelta(seconds=far_hold_s)
        self._min_obs = min_observations
        self._run: dict[int, tuple[str, int, int, datetime, bool]] = {}  # lane, count, first frame, since, all far
        self._done: set[int] = set()

    def observe(self, observations: list[Observation], ctx: FrameContext) -> list[RuleHit]:
        hits = []
        for obs in observations:
            if obs.track_id in self._done:
                continue
            allowed = self._allowed.get(obs.lane_id or "")
            if (allowed is None or obs.vehicle_class in allowed or obs.class_share < self._min_share
                    or obs.across_lane):
                self._run.pop(obs.track_id, None)
                continue
            lane, count, frame, since, far = self._run.get(obs.track_id, (obs.lane_id, 0, obs.frame_index, obs.at, True))
            if lane != obs.lane_id:
                lane, count, frame, since, far = obs.lane_id, 0, obs.frame_index, obs.at, True
            count, far = count + 1, far and obs.far
            self._run[obs.track_id] = (lane, count, frame, since, far)  # type: ignore[assignment]
            if count >= self._min_obs and obs.at - since >= (self._far_hold if far else self._hold):
                self._done.add(obs.track_id)
                hits.append(RuleHit(violation_type=self.violation_type, track_id=obs.track_id, frame_index=frame,
                                    at=since, vehicle_class=obs.vehicle_class,
                                    detail=f"{VEHICLE_NAMES_VI.get(obs.vehicle_class, obs.vehicle_class)} trong làn {lane} "
                                           f"(làn cho {', '.join(VEHICLE_NAMES_VI[c] for c in VEHICLE_CLASSES if c in allowed)})"))
        return hits

    def finish(self, track_id: int, ctx: FrameContext) -> list[RuleHit]:
        self._run.pop(track_id, None)
        self._done.discard(track_id)
        return []
