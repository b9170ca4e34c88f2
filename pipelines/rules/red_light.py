"""red_light (vượt đèn đỏ): the vehicle's front crosses the stop line while the signal is red.

Debounced: the track must have been seen at least twice before the line, and the crossing
counts only once the vehicle is clearly into the junction (``enter`` past the line, 2 m or
15 px, twice in a row), so queued vehicles whose estimated front jitters around the line
do not trigger it. With a ground calibration, a front that passed the line's margin and stayed
past it for ``hold_s`` (a rider who crossed on red and stopped on the zebra, 1–2 m over) has
crossed too: jitter goes back over the margin, a stop past it does not. The phase is the one
when the front last passed the line's margin on its way over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from analytics.records import ViolationType
from pipelines.rules.base import FrameContext, Observation, RuleHit
from pipelines.rules.stop_line_geometry import StopLineGeometry


@dataclass
class _State:
    before: int = 0
    after: int = 0
    first_after: tuple[int, datetime, str] | None = None  # frame, time, phase
    past_since: datetime | None = None  # since when the front has stayed past the line's margin
    done: bool = False


class RedLightRule:
    violation_type = ViolationType.RED_LIGHT

    def __init__(self, line: StopLineGeometry, *, confirm: int = 2, hold_s: float = 1.0) -> None:
        self._line = line
        self._confirm = confirm
        self._enter = 2.0 if line.calibrated else 15.0
        self._hold_s = hold_s if line.calibrated else None
        self._states: dict[int, _State] = {}

    def observe(self, observations: list[Observation], ctx: FrameContext) -> list[RuleHit]:
        hits = []
        for obs in observations:
            state = self._states.setdefault(obs.track_id, _State())
            if state.done:
                continue
            pos = self._line.position(obs)
            if pos is None:
                continue
            if pos <= self._line.margin:
                # back on the line: a stay past it starts again, and so does the crossing,
                # whose phase is that of the last time the front passed the margin (a rider
                # whose front crept over on red and back, who then rode off on green, did not
                # cross on red)
                state.past_since = None
                state.after, state.first_after = 0, None
            if pos < -self._line.margin:
                state.before += 1
            elif pos > self._line.margin and state.before >= self._confirm:
                if state.first_after is None:
                    state.first_after = (obs.frame_index, obs.at, ctx.signal)
                if state.past_since is None:
                    state.past_since = obs.at
                state.after = state.after + 1 if pos > self._enter else 0
                stayed = self._hold_s is not None and (obs.at - state.past_since).total_seconds() >= self._hold_s
                if state.after >= self._confirm or stayed:
                    state.done = True
                    frame, at, phase = state.first_after
                    if phase == "red":
                        hits.append(RuleHit(violation_type=self.violation_type, track_id=obs.track_id,
                                            frame_index=frame, at=at, vehicle_class=obs.vehicle_class,
                                            detail="qua vạch dừng khi đèn đỏ"))
        return hits

    def finish(self, track_id: int, ctx: FrameContext) -> list[RuleHit]:
        self._states.pop(track_id, None)
        return []
