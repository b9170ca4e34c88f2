"""stop_line (dừng vượt vạch): stopped past the stop line while the signal is red.

The front must be 0.5–6 m past the line with a ground speed under 0.5 m/s for at least
one second of consecutive observations. Needs the speed calibration (ground metres).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from analytics.records import ViolationType
from pipelines.rules.base import FrameContext, Observation, RuleHit
from pipelines.rules.stop_line_geometry import StopLineGeometry


class StopLineRule:
    violation_type = ViolationType.STOP_LINE

    def __init__(self, line: StopLineGeometry, *, hold_s: float = 1.0, near_m: float = 0.5, far_m: float = 6.0,
                 still_mps: float = 0.5) -> None:
        self._line = line
        self._hold = timedelta(seconds=hold_s)
        self._near, self._far, self._still = near_m, far_m, still_mps
        self._since: dict[int, tuple[int, datetime]] = {}
        self._done: set[int] = set()

    def observe(self, observations: list[Observation], ctx: FrameContext) -> list[RuleHit]:
        hits = []
        for obs in observations:
            if obs.track_id in self._done:
                continue
            pos = self._line.position(obs)
            stopped_over = (ctx.signal == "red" and pos is not None and self._near < pos < self._far
                            and obs.speed_mps is not None and obs.speed_mps < self._still)
            if not stopped_over:
                self._since.pop(obs.track_id, None)
                continue
            frame, since = self._since.setdefault(obs.track_id, (obs.frame_index, obs.at))
            if obs.at - since >= self._hold:
                self._done.add(obs.track_id)
                hits.append(RuleHit(violation_type=self.violation_type, track_id=obs.track_id, frame_index=frame,
                                    at=since, vehicle_class=obs.vehicle_class,
                                    detail=f"dừng quá vạch {pos:.1f} m khi đèn đỏ"))
        return hits

    def finish(self, track_id: int, ctx: FrameContext) -> list[RuleHit]:
        self._since.pop(track_id, None)
        self._done.discard(track_id)
        return []
