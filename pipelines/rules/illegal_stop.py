"""illegal_stop (dừng, đỗ sai quy định): dwelling in a no-stopping zone beyond its limit.

Dwell starts when the vehicle is in the zone with a ground speed under 0.5 m/s and is
reset once it leaves the zone or moves off: over 1.5 m/s with its box no longer on the box
it stopped in (neither box lies ``stay_overlap`` on the other: a rider passing in front
merges into the box and grows it, but the stopping box stays inside). Box jitter does not reset it — a parked
car half hidden by the one behind it has a bottom edge that jumps by 15 px between frames,
which at 6 fps and 30 m away reads as 2 m/s. The hit is reported when the dwell exceeds the zone's ``max_dwell_s``.

A parked vehicle is often hidden for most of its dwell (a bus stops in front of it) and
its track is lost. When a track ends while parked for at least ``spot_min_s``, its spot is
remembered (box, zone, when the dwell began) for ``spot_memory_s``. A new track whose
first box lies on a remembered spot (at least ``spot_overlap`` of it) and whose first measured speed is a pull-out speed
(under ``pull_out_mps``) is that vehicle: its dwell runs from the spot's start — so a car
seen parking, hidden, and seen pulling out 20 s later is judged on its 20 s. A vehicle
driving past the spot is too fast to inherit it. A new track that appears on the box of a
dwelling track missing from the frame (the tracker changed its id) continues that dwell.

The dwell belongs to the spot as much as to the track: in a swarm passing a parked car its
box is cut by every rider and its track breaks into many ids, some at once. A standing track
of the same kind of vehicle whose box lies on the box a dwell began in (``stay_overlap``)
carries on the oldest such dwell, and one hit ends every dwell and remembered spot on that
spot. The hit names the track the dwell began on (``origin_track_id``): the plate was seen
as the vehicle drove in, under that id — unless that id was seen just now (``SEEN_NOW_S``) on
a box apart from this one's: then it is another vehicle (the car parked nose to tail in front,
whose first box took in both), and its plate must not become this vehicle's.

A vehicle held up right behind another stopped vehicle is queuing, not stopping (the law's
"dừng xe" is a halt by choice): no dwell begins while a stopped vehicle stands just ahead of
it — its ground contact inside this vehicle's box height, overlapping half its width — unless
that vehicle is itself dwelling in the zone. A dwell once begun is not ended by a vehicle
that stops in front of it later (a rider pausing in front of a parked car), nor by its ground
point jittering out across the zone's edge while it stands: only by moving off. Standing on
the edge, it is reported only if its ground point was inside the zone at least as often as
outside. Standing behind a parked car at the kerb, with
the traffic lane beside it free, is parking too: two cars parked nose to tail are two stops.

A zone on a signalised approach (``signal_holds``) is where vehicles wait at the light: the
time a vehicle stands there while the signal is not green — red, amber, or unread (a lamp
in glare must not turn waiting into an offence) — is waiting, and only the rest of its dwell
counts toward the limit. The rule keeps one clock of not-green time, so the waiting is taken
off a dwell seen through an occlusion too; the hit says how much was taken off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from analytics.records import ViolationType
from analytics.scene_config import NoStoppingZone, SceneConfig
from pipelines.classes import TWO_WHEELERS
from pipelines.geometry import box_nested_share, box_share_on, inside
from pipelines.rules.base import FrameContext, Observation, RuleHit


SEEN_NOW_S = 0.5
STAY_OVERLAP = 0.6  # one parked vehicle's two boxes: one lies this much on the other


@dataclass(frozen=True, kw_only=True, slots=True)
class _Stand:
    """A vehicle standing in a zone: since when, and its box when last seen. The same record
    is kept per dwelling track and, once the track is lost, as a remembered spot."""
    zone: NoStoppingZone
    box: tuple[float, float, float, float]
    since: datetime
    seen_at: datetime
    anchor: tuple[float, float, float, float]  # the box it stopped in
    two_wheeler: bool
    track_id: int  # the track it began on (the vehicle's plate was seen under that id, driving in)
    held_since: float = 0.0  # the rule's not-green clock when the dwell began
    looks_in: int = 1  # observations with the ground point inside the zone, and outside it (jitter at the edge)
    looks_out: int = 0


class IllegalStopRule:
    violation_type = ViolationType.ILLEGAL_STOP

    def __init__(self, config: SceneConfig, *, still_mps: float = 0.5, moving_mps: float = 1.5,
                 spot_min_s: float = 2.0, spot_memory_s: float = 90.0, pull_out_mps: float = 4.5,
                 spot_overlap: float = 0.5, stay_overlap: float = STAY_OVERLAP) -> None:
        self._zones = list(config.no_stopping_zones)
        self._still, self._moving = still_mps, moving_mps
        self._spot_min_s, self._spot_memory_s = spot_min_s, spot_memory_s
        self._pull_out, self._overlap, self._stay = pull_out_mps, spot_overlap, stay_overlap
        self._take_over_s = 2.0
        self._dwelling: dict[int, _Stand] = {}
        self._done: set[int] = set()
        self._known: dict[int, datetime] = {}  # track id → first seen
        self._last_seen: dict[int, tuple[tuple[float, float, float, float], datetime]] = {}  # track id → box, when
        self._spots: list[_Stand] = []
        self._candidates: dict[int, _Stand] = {}  # new track id → the spot its first box lies on
        self._held = 0.0  # seconds of the camera's time the signal was not green (signal_holds zones)
        self._clock_at: datetime | None = None

    def _tick(self, ctx: FrameContext) -> None:
        """Advance the not-green clock by the time since the last frame, if this frame is not green."""
        if self._clock_at is not None and ctx.signal != "green" and ctx.at > self._clock_at:
            self._held += (ctx.at - self._clock_at).total_seconds()
        self._clock_at = ctx.at

    def _dwell(self, stand: _Stand, at: datetime) -> tuple[float, float]:
        """(dwell that counts, seconds of it spent waiting at the light) for a stand at ``at``."""
        held = self._held - stand.held_since if stand.zone.signal_holds else 0.0
        return (at - stand.since).total_seconds() - held, held

    def observe(self, observations: list[Observation], ctx: FrameContext) -> list[RuleHit]:
        hits = []
        self._tick(ctx)
        self._spots = [s for s in self._spots if (ctx.at - s.seen_at).total_seconds() <= self._spot_memory_s]
        # a vehicle dwelling since an earlier frame, or already reported, is parked: not a queue
        stopped = [o.box for o in observations if o.speed_mps is not None and o.speed_mps < self._moving
                   and o.track_id not in self._dwelling and o.track_id not in self._done]
        present = {o.track_id for o in observations}
        self._last_seen |= {o.track_id: (o.box, o.at) for o in observations}
        for obs in observations:
            if (obs.at - self._known.get(obs.track_id, obs.at)).total_seconds() <= self._take_over_s:
                self._take_over(obs, present)  # the old id may still be in the frame the new one starts
            if obs.track_id not in self._known:
                self._known[obs.track_id] = obs.at
                spot = max(self._spots, key=lambda s: box_share_on(obs.box, s.box), default=None)
                if spot is not None and box_share_on(obs.box, spot.box) >= self._overlap:
                    self._candidates[obs.track_id] = spot
            if obs.track_id in self._done or obs.speed_mps is None:
                continue
            inherited = self._candidates.pop(obs.track_id, None)
            if inherited is not None and inherited in self._spots and obs.speed_mps <= self._pull_out:
                self._spots.remove(inherited)
                dwell, held = self._dwell(inherited, obs.at)
                if dwell > inherited.zone.max_dwell_s:
                    hits.append(self._hit(obs, inherited, dwell, held, through_occlusion=True))
                    continue
                if obs.speed_mps < self._moving:  # found again while still parked: the dwell goes on
                    self._dwelling[obs.track_id] = replace(inherited, box=obs.box, seen_at=obs.at)
            stand = self._dwelling.get(obs.track_id)
            moved_off = obs.speed_mps > self._moving and (stand is None or box_nested_share(obs.box, stand.anchor) < self._stay)
            zone = next((z for z in self._zones if inside(z.polygon, obs.point)), None)
            out = zone is None and stand is not None and not moved_off
            if out:
                zone = stand.zone  # a standing vehicle's ground point jitters across the zone's edge
            if zone is None or moved_off or (stand is None and _queued(obs.box, stopped)):
                self._dwelling.pop(obs.track_id, None)
                continue
            older = self._older_dwell(obs, stand) if obs.speed_mps < self._moving else None
            if older is not None:
                stand = older
            if stand is None and obs.speed_mps >= self._still:
                continue
            stand = _Stand(zone=zone, box=obs.box, since=obs.at, seen_at=obs.at, anchor=obs.box,
                           two_wheeler=obs.vehicle_class in TWO_WHEELERS, track_id=obs.track_id,
                           held_since=self._held) if stand is None \
                else replace(stand, box=obs.box, seen_at=obs.at, looks_in=stand.looks_in + (not out),
                             looks_out=stand.looks_out + out)
            self._dwelling[obs.track_id] = stand
            dwell, held = self._dwell(stand, obs.at)
            if dwell > zone.max_dwell_s and stand.looks_in >= stand.looks_out:
                hits.append(self._hit(obs, replace(stand, zone=zone), dwell, held, through_occlusion=False))
        return hits

    def _older_dwell(self, obs: Observation, stand: _Stand | None) -> _Stand | None:
        """The oldest dwell of another id, of the same kind of vehicle, whose stopping box
        this box lies on — older than this track's own."""
        two_wheeler = obs.vehicle_class in TWO_WHEELERS
        best = None
        for tid, other in self._dwelling.items():
            if (tid != obs.track_id and other.two_wheeler == two_wheeler
                    and box_share_on(obs.box, other.anchor) >= self._stay
                    and other.since < (stand.since if stand is not None else obs.at)
                    and (best is None or other.since < best.since)):
                best = other
        return best

    def _take_over(self, obs: Observation, present: set[int]) -> None:
        """A track younger than ``_take_over_s`` on the box of a dwelling track not seen in this
        frame (its id changed while it stood there, e.g. behind a neighbour) continues that dwell."""
        own = self._dwelling.get(obs.track_id)
        for tid, stand in list(self._dwelling.items()):
            if (tid != obs.track_id and tid not in present and box_share_on(obs.box, stand.box) >= self._overlap
                    and (obs.at - stand.seen_at).total_seconds() <= self._take_over_s
                    and (own is None or stand.since < own.since)):
                del self._dwelling[tid]  # the new id may itself hand it over again
                self._dwelling[obs.track_id] = replace(stand, box=obs.box, seen_at=obs.at)
                return

    def _hit(self, obs: Observation, stand: _Stand, dwell: float, held: float, *, through_occlusion: bool) -> RuleHit:
        """Report the stop once for the vehicle: every other dwell and remembered spot on the
        spot it stopped in (the same vehicle under other ids) ends with it — but not a dwell
        seen just now (``SEEN_NOW_S``) on a box apart from this vehicle's: a car parked nose to
        tail in front of it, whose first box took in both (far up the picture the two overlap)."""
        self._done.add(obs.track_id)
        self._dwelling.pop(obs.track_id, None)
        for tid, other in list(self._dwelling.items()):
            seen_apart = ((obs.at - other.seen_at).total_seconds() <= SEEN_NOW_S
                          and box_nested_share(other.box, obs.box) < self._stay)
            if (other.two_wheeler == stand.two_wheeler and box_nested_share(other.anchor, stand.anchor) >= self._stay
                    and not seen_apart):
                del self._dwelling[tid]
                self._done.add(tid)
        self._spots = [s for s in self._spots
                       if s.two_wheeler != stand.two_wheeler or box_nested_share(s.anchor, stand.anchor) < self._stay]
        zone = stand.zone
        note = " (có lúc bị che khuất)" if through_occlusion else ""
        if held >= 0.5:
            note += f" (không tính {held:.0f} s chờ đèn)"
        return RuleHit(violation_type=self.violation_type, track_id=obs.track_id, frame_index=obs.frame_index,
                       at=stand.since, vehicle_class=obs.vehicle_class, origin_track_id=self._origin(obs, stand),
                       detail=f"dừng {dwell:.0f} s trong vùng cấm dừng {zone.zone_id} "
                              f"(tối đa {zone.max_dwell_s:.0f} s){note}")

    def _origin(self, obs: Observation, stand: _Stand) -> int | None:
        """The earlier id of this vehicle the dwell began on, if any: not one seen just now on a
        box apart from this one's (another vehicle)."""
        if stand.track_id == obs.track_id:
            return None
        seen = self._last_seen.get(stand.track_id)
        if seen is not None and (obs.at - seen[1]).total_seconds() <= SEEN_NOW_S \
                and box_nested_share(seen[0], obs.box) < self._stay:
            return None
        return stand.track_id

    def finish(self, track_id: int, ctx: FrameContext) -> list[RuleHit]:
        self._last_seen.pop(track_id, None)
        stand = self._dwelling.pop(track_id, None)
        if (stand is not None and track_id not in self._done
                and (stand.seen_at - stand.since).total_seconds() >= self._spot_min_s):
            self._spots.append(stand)
        self._done.discard(track_id)
        self._known.pop(track_id, None)
        self._candidates.pop(track_id, None)
        return []


def _queued(box: tuple[float, float, float, float], stopped: list[tuple[float, float, float, float]]) -> bool:
    """Another stopped vehicle stands just ahead: its bottom edge (ground contact) lies
    within this box's height, above this box's bottom, over at least half the narrower width.
    A box lying mostly inside this one is this vehicle seen twice, not one ahead of it."""
    x1, y1, x2, y2 = box
    for other in stopped:
        ox1, _, ox2, oy2 = other
        if box_share_on(other, box) >= 0.7:
            continue  # itself, or a second box of itself (a track broken into two ids)
        overlap = min(x2, ox2) - max(x1, ox1)
        if y1 < oy2 < y2 - 0.1 * (y2 - y1) and overlap >= 0.5 * min(x2 - x1, ox2 - ox1):
            return True
    return False
