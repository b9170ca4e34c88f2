"""Traffic on the simulated approach: spawning, car following, signals, and the injected
violations, with the ground truth of what actually happened.

Vehicles move along lanes in ground metres. A vehicle's behaviour is drawn at spawn from
the scene's violation rates; the *truth* records a violation only when the behaviour
really produced it (a red-light runner arriving on green runs nothing).

Contract: ``TrafficSim(scene, seed)`` is deterministic for a seed; ``step()`` advances one
frame; ``vehicles`` are the agents on the road now; ``violations`` the closed and open
violation events; ``phase(frame)`` the signal phase.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from simulator.plates import Plate, make_plate
from simulator.world import CALIBRATION_ZONE, LaneGeom, SimScene, lanes_of

DIMENSIONS: dict[str, tuple[float, float, float]] = {  # length, width, height (m)
    "motorbike": (1.9, 0.75, 1.55),
    "bicycle": (1.7, 0.6, 1.5),
    "car": (4.5, 1.8, 1.5),
    "bus": (11.0, 2.5, 3.2),
    "truck": (8.0, 2.4, 3.0),
}
BASE_SPEED_KMH: dict[str, tuple[float, float]] = {
    "motorbike": (28, 45), "bicycle": (10, 16), "car": (32, 50), "bus": (25, 40), "truck": (25, 42),
}
ACCEL = {"motorbike": 2.6, "bicycle": 1.0, "car": 2.2, "bus": 1.2, "truck": 1.2}
BRAKE = 3.5  # comfortable deceleration m/s²
GAP = 1.2  # standstill gap m
SPAWN_Y = 1.0


@dataclass
class Vehicle:
    track_id: int
    cls: str
    plate: Plate
    colour: tuple[int, int, int]
    lane: LaneGeom
    lateral: float  # X of the centre
    front: float  # Y of the front (the end facing the direction of travel)
    speed: float  # m/s
    desired: float  # m/s
    direction: int  # +1 away from the camera, -1 towards it
    behaviour: str = "normal"
    movement: str = "through"  # through | left | right | outbound
    turn_at: float | None = None  # ground Y where a turning vehicle leaves onto the crossing road
    amber_go: bool | None = None
    stop_target: float | None = None  # illegal-stop position
    dwell: float = 0.0
    dwell_limit: float = 0.0
    done_stopping: bool = False
    max_zone_speed: float = 0.0
    plate_px: int = 0  # widest the plate was drawn (pixels): legibility for the benchmarks
    zone_frames: list[int] = field(default_factory=list)

    @property
    def dims(self) -> tuple[float, float, float]:
        return DIMENSIONS[self.cls]

    @property
    def rear(self) -> float:
        return self.front - self.direction * self.dims[0]


@dataclass
class ViolationEvent:
    violation_type: str
    track_id: int
    start_frame: int
    end_frame: int | None = None
    speed_kmh: float | None = None
    detail: str = ""


class TrafficSim:
    def __init__(self, scene: SimScene, seed: int) -> None:
        self.scene = scene
        self.rng = random.Random(seed)
        self.dt = 1.0 / scene.frame.fps
        self.frame = 0
        self.lanes = lanes_of(scene)
        self.inbound = [lane for lane in self.lanes if lane.inbound]
        self.outbound = [lane for lane in self.lanes if not lane.inbound]
        self.vehicles: list[Vehicle] = []
        self.finished: list[Vehicle] = []
        self.violations: list[ViolationEvent] = []
        self._open: dict[tuple[int, str], ViolationEvent] = {}
        self._next_id = 1
        self.cross: list[dict[str, object]] = []  # crossing-road traffic and turned vehicles

    # --- signal ---------------------------------------------------------------------

    def phase(self, frame: int | None = None) -> tuple[str, float]:
        """(phase, seconds remaining) of the approach's signal at ``frame``; no signal → green."""
        sig = self.scene.signal
        if sig is None:
            return "green", math.inf
        t = (frame if frame is not None else self.frame) * self.dt + sig.offset_s
        cycle = sig.green_s + sig.amber_s + sig.red_s
        tc = t % cycle
        if tc < sig.green_s:
            return "green", sig.green_s - tc
        if tc < sig.green_s + sig.amber_s:
            return "amber", sig.green_s + sig.amber_s - tc
        return "red", cycle - tc

    # --- spawning ----------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _pick_class(self) -> str:
        mix = self.scene.traffic.mix
        r, acc = self.rng.random() * sum(mix.values()), 0.0
        for cls, weight in mix.items():
            acc += weight
            if r <= acc:
                return cls
        return next(iter(mix))

    def _lateral_range(self, lane: LaneGeom, width: float) -> tuple[float, float]:
        lo, hi = lane.x0 + width / 2 + 0.15, lane.x1 - width / 2 - 0.15
        ns = self.scene.road.no_stopping
        if ns is not None and lane is self.inbound[ns.lane] and not ns.signal_holds:
            hi = min(hi, lane.x1 - ns.strip_m - width / 2 - 0.1)  # the kerb strip is for stopping only
        return lo, max(lo, hi)

    def _free(self, lane: LaneGeom, lateral: float, width: float, y: float, direction: int) -> bool:
        for v in self.vehicles:
            if v.lane is lane and abs(v.lateral - lateral) < (v.dims[1] + width) / 2 + 0.3:
                near, far = sorted((v.front, v.rear))
                if direction > 0 and near < y + 1.5:
                    return False
                if direction < 0 and far > y - 1.5:
                    return False
        return True

    def _spawn_inbound(self) -> None:
        viol = self.scene.violations
        road = self.scene.road
        roll = self.rng.random()
        behaviour, acc = "normal", 0.0
        for name in ("red_light", "stop_line", "wrong_way", "wrong_lane", "illegal_stop", "speeding"):
            acc += getattr(viol, name)
            if roll < acc:
                behaviour = name
                break
        cls = self._pick_class()
        if behaviour in ("wrong_lane", "illegal_stop", "speeding") and cls in ("motorbike", "bicycle"):
            cls = "car" if behaviour != "speeding" else self.rng.choice(("car", "motorbike"))
        if behaviour == "wrong_way":
            cls = "motorbike"
        lanes = [lane for lane in self.inbound if cls in lane.allowed]
        if behaviour == "wrong_lane":
            lanes = [lane for lane in self.inbound if cls not in lane.allowed]
        if behaviour == "illegal_stop":
            lanes = [self.inbound[road.no_stopping.lane]] if road.no_stopping else []
            if lanes and cls not in lanes[0].allowed:  # one violation per vehicle: stops where its class may drive
                cls = next((c for c in ("car", "truck", "bus") if c in lanes[0].allowed), cls)
        if behaviour == "wrong_way":
            lanes = [self.inbound[-1]]
        if not lanes:
            behaviour, lanes = "normal", [lane for lane in self.inbound if cls in lane.allowed] or self.inbound
        lane = self.rng.choice(lanes)
        length, width, _ = DIMENSIONS[cls]
        if behaviour == "illegal_stop" and road.no_stopping is not None:
            lateral = lane.x1 - road.no_stopping.strip_m / 2 - 0.1
        else:
            lo, hi = self._lateral_range(lane, width)
            lateral = self.rng.uniform(lo, hi)
        direction = -1 if behaviour == "wrong_way" else 1
        y = SPAWN_Y + length if direction > 0 else road.length_m  # front position
        if not self._free(lane, lateral, width, y, direction):
            return
        lo_kmh, hi_kmh = BASE_SPEED_KMH[cls]
        limit = road.speed_limit_kmh
        if behaviour == "speeding":
            kmh = limit + self.rng.uniform(12, 30)
        else:
            kmh = min(self.rng.uniform(lo_kmh, hi_kmh), limit - 4)
        vehicle = Vehicle(
            track_id=self._new_id(), cls=cls, plate=make_plate(self.rng, self.scene.province_plate, cls),
            colour=self._colour(cls), lane=lane, lateral=lateral, front=y, speed=kmh / 3.6 * 0.9,
            desired=kmh / 3.6, direction=direction, behaviour=behaviour,
        )
        cr = road.cross_road
        if cr is not None and direction > 0 and behaviour not in ("illegal_stop",):
            must_turn = self.scene.kind == "t_junction"
            roll = self.rng.random()
            if must_turn or roll < 0.3:
                vehicle.movement = "right" if (roll < 0.15 or (must_turn and roll < 0.5)) else "left"
                vehicle.turn_at = cr.y_m + cr.width_m * (0.25 if vehicle.movement == "right" else 0.6)
        if behaviour == "illegal_stop" and road.no_stopping is not None:
            ns = road.no_stopping
            vehicle.stop_target = self.rng.uniform(ns.from_m + length + 1, ns.to_m - 1)
            vehicle.dwell_limit = ns.max_dwell_s + self.rng.uniform(5, 15)
        self.vehicles.append(vehicle)

    def _spawn_outbound(self) -> None:
        if not self.outbound:
            return
        cls = self._pick_class()
        lanes = [lane for lane in self.outbound if cls in lane.allowed] or self.outbound
        lane = self.rng.choice(lanes)
        length, width, _ = DIMENSIONS[cls]
        lo, hi = self._lateral_range(lane, width)
        lateral = self.rng.uniform(lo, hi)
        y = self.scene.road.length_m
        if not self._free(lane, lateral, width, y, -1):
            return
        lo_kmh, hi_kmh = BASE_SPEED_KMH[cls]
        kmh = min(self.rng.uniform(lo_kmh, hi_kmh), self.scene.road.speed_limit_kmh - 4)
        self.vehicles.append(Vehicle(
            track_id=self._new_id(), cls=cls, plate=make_plate(self.rng, self.scene.province_plate, cls),
            colour=self._colour(cls), lane=lane, lateral=lateral, front=y, speed=kmh / 3.6, desired=kmh / 3.6,
            direction=-1, movement="outbound"))

    def _colour(self, cls: str) -> tuple[int, int, int]:
        palette = [(200, 30, 35), (30, 60, 160), (235, 235, 235), (25, 25, 25), (150, 150, 155), (200, 170, 30),
                   (40, 120, 60), (120, 70, 40), (90, 90, 160)]
        if cls == "bus":
            return self.rng.choice([(20, 110, 60), (210, 120, 20), (30, 80, 170)])
        return self.rng.choice(palette)

    # --- dynamics ---------------------------------------------------------------------------

    def _leader_gap(self, v: Vehicle) -> float:
        gap = math.inf
        for o in self.vehicles:
            if o is v or o.lane is not v.lane or o.direction != v.direction:
                continue
            if abs(o.lateral - v.lateral) >= (o.dims[1] + v.dims[1]) / 2 + 0.25:
                continue
            d = (o.rear - v.front) * v.direction
            if 0 <= (o.front - v.front) * v.direction and d < gap:
                gap = d
        return gap

    def _obstacle_gap(self, v: Vehicle, phase: str, remaining: float) -> float:
        road = self.scene.road
        gap = math.inf
        if v.stop_target is not None and not v.done_stopping:
            gap = min(gap, v.stop_target - v.front)
        if road.stop_line_m is None or v.direction < 0 or v.behaviour == "red_light":
            return gap
        target = road.stop_line_m - 0.3
        if v.behaviour == "stop_line":  # stops with its front over the line, on the zebra
            target = road.stop_line_m + (v.track_id % 3) * 0.6 + 1.2
        if v.front > target + 0.2:
            return gap  # already past where it would stop
        if phase == "green":
            v.amber_go = None
            return gap
        to_line = road.stop_line_m - v.front
        if phase == "amber" and v.amber_go is None:
            time_to_line = max(to_line, 0.0) / max(v.speed, 0.1)
            can_stop = v.speed ** 2 / (2 * 6.0) < target - v.front
            v.amber_go = time_to_line < remaining - 0.5 or not can_stop
        if phase == "amber" and v.amber_go:
            return gap
        return min(gap, target - v.front)

    def step(self) -> None:
        """Advance the world by one frame."""
        traffic = self.scene.traffic
        if self.rng.random() < traffic.vehicles_per_minute * self.dt / 60:
            self._spawn_inbound()
        if self.rng.random() < traffic.outbound_per_minute * self.dt / 60:
            self._spawn_outbound()
        phase, remaining = self.phase()
        self._step_cross(phase)
        for v in self.vehicles:
            gap = min(self._leader_gap(v) - GAP, self._obstacle_gap(v, phase, remaining))
            safe = math.sqrt(max(0.0, 2 * BRAKE * gap)) if gap < math.inf else math.inf
            target = min(v.desired, safe)
            accel = max(-9.0, min(ACCEL[v.cls], (target - v.speed) / self.dt))
            if gap < 0.05:
                accel = -v.speed / self.dt
            v.speed = max(0.0, v.speed + accel * self.dt)
            previous_front = v.front
            v.front += v.direction * v.speed * self.dt
            self._truth(v, previous_front, phase)
        self._turn()
        self._retire()
        self.frame += 1

    def _turn(self) -> None:
        """Vehicles reaching their turning point leave the approach onto the crossing road."""
        staying = []
        for v in self.vehicles:
            if v.turn_at is not None and v.front >= v.turn_at:
                self.cross.append({"track_id": v.track_id, "cls": v.cls, "x": v.lateral,
                                   "dir": 1 if v.movement == "right" else -1, "y": v.turn_at - v.dims[0] / 2,
                                   "speed": max(v.speed, 4.0), "colour": v.colour})
                self._finish(v)
            else:
                staying.append(v)
        self.vehicles = staying

    def forget_events(self) -> None:
        """Drop the violation events seen so far (used after the warm-up before frame 0)."""
        self.violations.clear()
        self._open.clear()

    def _step_cross(self, phase: str) -> None:
        cr = self.scene.road.cross_road
        if cr is None:
            return
        if phase == "red" and self.rng.random() < self.scene.traffic.cross_per_minute * self.dt / 60:
            side = self.rng.choice([-1, 1])
            cls = self._pick_class()
            self.cross.append({"track_id": self._new_id(), "cls": cls, "x": -60.0 * side, "dir": side,
                               "y": cr.y_m + (cr.width_m * (0.25 if side > 0 else 0.75)),
                               "speed": self.rng.uniform(7, 11), "colour": self._colour(cls)})
        for c in self.cross:
            c["x"] = float(c["x"]) + float(c["dir"]) * float(c["speed"]) * self.dt  # type: ignore[arg-type]
        self.cross = [c for c in self.cross if abs(float(c["x"])) < 65]  # type: ignore[arg-type]

    def _truth(self, v: Vehicle, previous_front: float, phase: str) -> None:
        scene_road = self.scene.road
        if v.behaviour in ("wrong_way", "wrong_lane") and (v.track_id, v.behaviour) not in self._open:
            self._open_event(v, v.behaviour, self.frame + 1)
        if scene_road.stop_line_m is not None and v.direction > 0:
            line = scene_road.stop_line_m
            if previous_front < line <= v.front and phase == "red":
                self._open_event(v, "red_light", self.frame + 1)
            if (v.behaviour == "stop_line" and phase == "red" and v.speed < 0.3 and line + 0.5 < v.front < line + 6
                    and (v.track_id, "stop_line") not in self._open
                    and not any(e.track_id == v.track_id and e.violation_type == "stop_line" for e in self.violations)):
                self._open_event(v, "stop_line", self.frame + 1)
            if v.behaviour == "stop_line" and v.speed > 1.0:
                self._close_event(v.track_id, "stop_line", self.frame + 1)
            if (v.track_id, "red_light") in self._open and v.rear > line:
                self._close_event(v.track_id, "red_light", self.frame + 1)
        if v.stop_target is not None and not v.done_stopping:
            ns = scene_road.no_stopping
            if (ns is not None and v.speed < 0.2 and abs(v.front - v.stop_target) >= 1.5
                    and ns.from_m + v.dims[0] <= v.front <= ns.to_m and self._leader_gap(v) < GAP + 0.5):
                v.stop_target = v.front  # the place it meant to stop at is taken: it stops behind, at the kerb
            if v.speed < 0.2 and abs(v.front - v.stop_target) < 1.5:
                v.dwell += self.dt
                if ns is not None and v.dwell > ns.max_dwell_s and (v.track_id, "illegal_stop") not in self._open:
                    event = self._open_event(v, "illegal_stop", self.frame + 1 - int(round(v.dwell / self.dt)))
                    event.detail = f"dwell limit {ns.max_dwell_s:.0f} s"
                if v.dwell >= v.dwell_limit:
                    v.done_stopping = True
                    self._close_event(v.track_id, "illegal_stop", self.frame + 1)
        zone_lo, zone_hi = CALIBRATION_ZONE
        if zone_lo <= v.front <= zone_hi:
            v.zone_frames.append(self.frame + 1)
            v.max_zone_speed = max(v.max_zone_speed, v.speed * 3.6)

    def _open_event(self, v: Vehicle, kind: str, frame: int) -> ViolationEvent:
        event = ViolationEvent(violation_type=kind, track_id=v.track_id, start_frame=max(frame, 0))
        self.violations.append(event)
        self._open[(v.track_id, kind)] = event
        return event

    def _close_event(self, track_id: int, kind: str, frame: int) -> None:
        event = self._open.pop((track_id, kind), None)
        if event is not None:
            event.end_frame = frame

    def _retire(self) -> None:
        keep = []
        limit = self.scene.road.length_m + 12
        for v in self.vehicles:
            gone = v.rear > limit if v.direction > 0 else v.front < -0.5
            if gone:
                self._finish(v)
            else:
                keep.append(v)
        self.vehicles = keep

    def _finish(self, v: Vehicle) -> None:
        for kind in ("wrong_way", "wrong_lane", "red_light", "stop_line", "illegal_stop"):
            self._close_event(v.track_id, kind, self.frame)
        if v.behaviour == "speeding" and v.max_zone_speed > self.scene.road.speed_limit_kmh and v.zone_frames:
            event = ViolationEvent(violation_type="speeding", track_id=v.track_id, start_frame=v.zone_frames[0],
                                   end_frame=v.zone_frames[-1], speed_kmh=round(v.max_zone_speed, 1))
            self.violations.append(event)
        self.finished.append(v)

    def close(self) -> None:
        """End of clip: close open events and settle speeding on vehicles still visible."""
        for v in list(self.vehicles):
            self._finish(v)
        self.vehicles = []
        for (track_id, kind) in list(self._open):
            self._close_event(track_id, kind, self.frame - 1)
