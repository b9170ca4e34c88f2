"""no_helmet (không đội mũ bảo hiểm): a motorbike rider's head without a helmet.

Only runs when the detector has a no-helmet class; otherwise the pipeline reports the
rule as unavailable on the run (never silently off). A hit needs the no-helmet head on
the motorbike's box in ``confirm`` observations.
"""

from __future__ import annotations

from analytics.records import ViolationType
from pipelines.classes import TWO_WHEELERS
from pipelines.rules.base import FrameContext, Observation, RuleHit


class NoHelmetRule:
    violation_type = ViolationType.NO_HELMET

    def __init__(self, *, confirm: int = 3) -> None:
        self._confirm = confirm
        self._counts: dict[int, tuple[int, Observation]] = {}
        self._done: set[int] = set()

    def observe(self, observations: list[Observation], ctx: FrameContext) -> list[RuleHit]:
        hits = []
        for obs in observations:
            if obs.track_id in self._done or obs.vehicle_class not in TWO_WHEELERS or not obs.helmetless:
                continue
            count, first = self._counts.get(obs.track_id, (0, obs))
            self._counts[obs.track_id] = (count + 1, first)
            if count + 1 >= self._confirm:
                self._done.add(obs.track_id)
                hits.append(RuleHit(violation_type=self.violation_type, track_id=obs.track_id,
                                    frame_index=first.frame_index, at=first.at, vehicle_class=obs.vehicle_class,
                                    detail="người điều khiển không đội mũ bảo hiểm"))
        return hits

    def finish(self, track_id: int, ctx: FrameContext) -> list[RuleHit]:
        self._counts.pop(track_id, None)
        self._done.discard(track_id)
        return []
