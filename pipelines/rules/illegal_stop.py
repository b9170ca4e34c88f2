"""illegal_stop (dừng, đỗ sai quy định): dwelling in a no-stopping zone beyond its limit.

Dwell starts when the vehicle is in the zone with a ground speed under 0.5 m/s and is
reset once it moves off (over 1.5 m/s) or leaves the zone; brief box jitter does not
reset it. The hit is reported when the dwell exceeds the zone's ``max_dwell_s``.
"""

from __future__ import annotations

from datetime import datetime

from analytics.records import ViolationType
from analytics.scene_config import SceneConfig
from pipelines.geometry import inside
from pipelines.rules.base import FrameContext, Observation, RuleHit


class IllegalStopRule:
    violation_type = ViolationType.ILLEGAL_STOP

    def __init__(self, config: SceneConfig, *, still_mps: float = 0.5, moving_mps: float = 1.5) -> None:
        self._zones = list(config.no_stopping_zones)
        self._still, self._moving = still_mps, moving_mps
        self._since: dict[int, tuple[str, datetime]] = {}
        self._done: set[int] = set()

    def observe(self, observations: list[Observation], ctx: FrameContext) -> list[RuleHit]:
        hits = []
        for obs in observations:
            if obs.track_id in self._done or obs.speed_mps is None:
                continue
            zone = next((z for z in self._zones if inside(z.polygon, obs.point)), None)
            if zone is None or obs.speed_mps > self._moving:
                self._since.pop(obs.track_id, None)
                continue
            if obs.speed_mps >= self._still and obs.track_id not in self._since:
                continue
            zone_id, since = self._since.setdefault(obs.track_id, (zone.zone_id, obs.at))
            dwell = (obs.at - since).total_seconds()
            if dwell > zone.max_dwell_s:
                self._done.add(obs.track_id)
                hits.append(RuleHit(violation_type=self.violation_type, track_id=obs.track_id,
                                    frame_index=obs.frame_index, at=since, vehicle_class=obs.vehicle_class,
                                    detail=f"dừng {dwell:.0f} s trong vùng cấm dừng {zone_id} "
                                           f"(tối đa {zone.max_dwell_s:.0f} s)"))
        return hits

    def finish(self, track_id: int, ctx: FrameContext) -> list[RuleHit]:
        self._since.pop(track_id, None)
        self._done.discard(track_id)
        return []
