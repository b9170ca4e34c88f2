"""The simulated world of one scene: its YAML description, the camera model and the road
layout in ground metres, and the camera scene config the pipelines read.

Ground frame: X metres to the right of the camera's viewing axis, Y metres forward along
it, Z up; the camera stands at (camera_x_m, 0, height_m) and looks along +Y, pitched down.
Inbound lanes lie right of the centre line and carry traffic away from the camera (+Y,
rear plates visible, as Vietnamese motorbikes only carry rear plates); outbound lanes lie
left and carry traffic towards it.

Contract: ``load_sim_scene`` validates a scene YAML (unknown keys rejected);
``Camera.project`` maps ground points to pixels; ``scene_config`` returns the
``SceneConfig`` (pixel geometry, signal ROI, speed calibration in lon/lat) that matches
what ``render`` draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from analytics.scene_config import (
    CameraPose,
    Frame,
    Lane,
    NoStoppingZone,
    SceneConfig,
    SignalRoi,
    SpeedCalibration,
)

VehicleClass = Literal["motorbike", "car", "bus", "truck", "bicycle"]
_M_PER_DEG_LAT = 111_320.0


class SimSceneError(ValueError):
    """The scene description is invalid; the message names the file and fields."""


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SimCamera(_M):
    lon: float = Field(..., description="Camera longitude")
    lat: float = Field(..., description="Camera latitude")
    heading_deg: float = Field(..., ge=0, lt=360, description="Viewing direction, 0 = north")
    height_m: float = Field(6.5, gt=1, le=30, description="Mounting height")
    pitch_deg: float = Field(19.0, gt=1, lt=80, description="Downward tilt of the optical axis")
    focal_px: float = Field(1100.0, gt=100, le=10000, description="Focal length in pixels at 1280 px width")
    x_m: float = Field(2.0, description="Lateral position of the camera (0 = centre line)")


class LaneSpec(_M):
    width_m: float = Field(3.5, gt=1.0, le=6.0)
    allowed: list[VehicleClass] = Field(..., min_length=1, description="Classes allowed in the lane")


class CrossRoad(_M):
    y_m: float = Field(..., gt=5, description="Distance of the crossing road's near edge")
    width_m: float = Field(12.0, gt=3, le=40)
    sides: Literal["both", "left", "right"] = "both"


class NoStopSpec(_M):
    lane: int = Field(..., ge=0, description="Index of the inbound lane holding the zone")
    from_m: float = Field(..., gt=0)
    to_m: float = Field(..., gt=0)
    max_dwell_s: float = Field(20.0, gt=0)
    strip_m: float = Field(2.2, gt=0.5, le=4.0, description="Width of the kerb strip where stopping is banned")
    signal_holds: bool = Field(
        False, description="The strip is the kerb side of the approach to the signal: traffic rides over it and "
        "waits on it at red (the camera's zone gets signal_holds). The simulator has no overtaking, so a vehicle "
        "parked on such a strip holds up the riders behind it: give such a scene no illegal_stop rate")


class Road(_M):
    inbound_lanes: list[LaneSpec] = Field(..., min_length=1)
    outbound_lanes: list[LaneSpec] = Field(default_factory=list)
    median_m: float = Field(0.5, ge=0, le=10)
    stop_line_m: float | None = Field(None, gt=5, description="Distance of the stop line (inbound)")
    zebra: bool = False
    cross_road: CrossRoad | None = None
    bridge: bool = False
    no_stopping: NoStopSpec | None = None
    speed_limit_kmh: float = Field(50.0, gt=0, le=130)
    length_m: float = Field(90.0, ge=30, le=300, description="Visible length of the approach")


class SignalSpec(_M):
    green_s: float = Field(25.0, gt=0)
    amber_s: float = Field(3.0, ge=0)
    red_s: float = Field(30.0, gt=0)
    offset_s: float = Field(0.0, ge=0, description="Seconds into the cycle at clip start")
    countdown: bool = True


class Traffic(_M):
    vehicles_per_minute: float = Field(40.0, ge=0, le=600, description="Inbound arrivals per minute")
    outbound_per_minute: float = Field(20.0, ge=0, le=600)
    mix: dict[VehicleClass, float] = Field(
        default_factory=lambda: {"motorbike": 0.72, "car": 0.17, "bus": 0.03, "truck": 0.04, "bicycle": 0.04})
    cross_per_minute: float = Field(20.0, ge=0, le=600, description="Crossing-road traffic during our red")


class Violations(_M):
    """Probability that a spawned inbound vehicle commits each violation."""

    red_light: float = Field(0.0, ge=0, le=1)
    stop_line: float = Field(0.0, ge=0, le=1)
    wrong_way: float = Field(0.0, ge=0, le=1)
    wrong_lane: float = Field(0.0, ge=0, le=1)
    illegal_stop: float = Field(0.0, ge=0, le=1)
    speeding: float = Field(0.0, ge=0, le=1)


class SimScene(_M):
    name: str
    title: str = Field(..., description="Vietnamese description shown in overlays and docs")
    kind: Literal["intersection", "t_junction", "bridge", "street"]
    province_plate: str = Field(..., pattern=r"^\d{2}$", description="Plate prefix of the province (68, 17)")
    camera: SimCamera
    frame: Frame = Field(default_factory=lambda: Frame(width=1280, height=720, fps=25))
    road: Road
    signal: SignalSpec | None = None
    traffic: Traffic = Field(default_factory=Traffic)
    violations: Violations = Field(default_factory=Violations)
    lighting: Literal["day", "night"] = "day"
    weather: Literal["clear", "rain"] = "clear"
    shake_px: float = Field(1.0, ge=0, le=10)
    noise: float = Field(4.0, ge=0, le=40, description="Std-dev of sensor noise in grey levels")
    shadows: bool = Field(False, description="Low sun (day only): vehicles and roadside buildings cast shadows on "
                                             "the road")
    sun: tuple[float, float] = Field((-0.9, 0.35), description="Where a shadow falls: metres across (x) and along "
                                                               "(y) the road per metre of height")
    encoder_crf: int = Field(23, ge=0, le=51, description="H.264 quality of rendered clips (higher: more "
                                                          "compression artefacts, as a congested CCTV uplink)")

    @model_validator(mode="after")
    def _signal_for_the_zone(self) -> SimScene:
        if self.road.no_stopping is not None and self.road.no_stopping.signal_holds and self.signal is None:
            raise ValueError("road.no_stopping.signal_holds: the scene has no signal to wait at")
        return self


def load_sim_scene(path: Path) -> SimScene:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return SimScene.model_validate(data)
    except OSError as exc:
        raise SimSceneError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SimSceneError(f"{path}: invalid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "\n".join(f"  - {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SimSceneError(f"{path}: invalid scene:\n{problems}") from exc


@dataclass(frozen=True, slots=True)
class Camera:
    """Pinhole camera over the ground plane."""

    width: int
    height: int
    focal: float
    height_m: float
    pitch: float  # radians
    x_m: float

    @classmethod
    def of(cls, scene: SimScene) -> Camera:
        f = scene.camera.focal_px * scene.frame.width / 1280.0
        return cls(width=scene.frame.width, height=scene.frame.height, focal=f, height_m=scene.camera.height_m,
                   pitch=math.radians(scene.camera.pitch_deg), x_m=scene.camera.x_m)

    def project(self, xyz: np.ndarray) -> np.ndarray:
        """(N, 3) ground points (X, Y, Z metres) → (N, 2) pixels. Points must be in front."""
        v = np.asarray(xyz, dtype=np.float64).reshape(-1, 3).copy()
        v[:, 0] -= self.x_m
        v[:, 2] -= self.height_m
        sp, cp = math.sin(self.pitch), math.cos(self.pitch)
        depth = v[:, 1] * cp - v[:, 2] * sp
        down = -v[:, 1] * sp - v[:, 2] * cp
        depth = np.maximum(depth, 0.05)
        u = self.width / 2 + self.focal * v[:, 0] / depth
        w = self.height / 2 + self.focal * down / depth
        return np.stack([u, w], axis=1)

    def metres_per_pixel(self, y_m: float) -> float:
        """Horizontal ground size of one pixel at distance ``y_m``."""
        a, b = self.project(np.array([[0.0, y_m, 0.0], [1.0, y_m, 0.0]]))
        return 1.0 / max(abs(b[0] - a[0]), 1e-6)

    def horizon_y(self) -> float:
        return self.height / 2 - self.focal * math.tan(self.pitch)


@dataclass(frozen=True, slots=True)
class LaneGeom:
    lane_id: str
    x0: float  # left edge X
    x1: float  # right edge X
    inbound: bool
    allowed: tuple[str, ...]

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def width(self) -> float:
        return self.x1 - self.x0


def lanes_of(scene: SimScene) -> list[LaneGeom]:
    """Inbound lanes left→right from the centre line, then outbound right→left."""
    half = scene.road.median_m / 2
    out: list[LaneGeom] = []
    x = half
    for i, spec in enumerate(scene.road.inbound_lanes):
        out.append(LaneGeom(lane_id=f"in-{i + 1}", x0=x, x1=x + spec.width_m, inbound=True, allowed=tuple(spec.allowed)))
        x += spec.width_m
    x = -half
    for i, spec in enumerate(scene.road.outbound_lanes):
        out.append(LaneGeom(lane_id=f"out-{i + 1}", x0=x - spec.width_m, x1=x, inbound=False,
                            allowed=tuple(spec.allowed)))
        x -= spec.width_m
    return out


def road_edges(scene: SimScene) -> tuple[float, float]:
    lanes = lanes_of(scene)
    return min(lane.x0 for lane in lanes), max(lane.x1 for lane in lanes)


NEAR_M = 4.0  # nearest ground distance drawn in the frame for geometry exports
CALIBRATION_ZONE = (12.0, 30.0)  # ground Y range of the speed calibration quad (and measured speeds)


def to_lonlat(scene: SimScene, x_m: float, y_m: float) -> tuple[float, float]:
    """Ground metres → lon/lat, through the camera position and heading."""
    h = math.radians(scene.camera.heading_deg)
    dx = x_m - scene.camera.x_m
    east = dx * math.cos(h) + y_m * math.sin(h)
    north = -dx * math.sin(h) + y_m * math.cos(h)
    lat = scene.camera.lat + north / _M_PER_DEG_LAT
    lon = scene.camera.lon + east / (_M_PER_DEG_LAT * math.cos(math.radians(scene.camera.lat)))
    return round(lon, 8), round(lat, 8)


def signal_head_rois(frame_w: int) -> dict[str, tuple[int, int, int, int]]:
    """Where the signal head's lamps are drawn (fixed, top right)."""
    x = frame_w - 150
    return {"red": (x + 6, 36, 28, 28), "amber": (x + 6, 70, 28, 28), "green": (x + 6, 104, 28, 28)}


def _clip(points: np.ndarray, w: int, h: int) -> list[tuple[float, float]]:
    """Clamp points (a line's end points) into the frame."""
    return [(float(min(max(x, 0), w)), float(min(max(y, 0), h))) for x, y in points]


def _clip_polygon(points: np.ndarray, w: int, h: int) -> list[tuple[float, float]]:
    """The part of a polygon inside the frame (true clipping: lane borders keep their slope)."""
    from shapely.geometry import Polygon, box

    part = Polygon([(float(x), float(y)) for x, y in points]).buffer(0).intersection(box(0, 0, w, h))
    if part.is_empty or part.geom_type != "Polygon":
        part = part.convex_hull if not part.is_empty else Polygon([(0, 0), (1, 0), (1, 1)])
    return [(round(float(x), 2), round(float(y), 2)) for x, y in list(part.exterior.coords)[:-1]]


def scene_config(scene: SimScene, camera_id: str | None = None) -> SceneConfig:
    """The pixel-space scene config of this world, as the pipelines will read it."""
    cam = Camera.of(scene)
    w, h = scene.frame.width, scene.frame.height
    far = min(scene.road.length_m, scene.road.cross_road.y_m if scene.road.cross_road else scene.road.length_m)
    lanes = []
    for lane in lanes_of(scene):
        quad = cam.project(np.array([[lane.x0, NEAR_M, 0], [lane.x1, NEAR_M, 0], [lane.x1, far, 0],
                                     [lane.x0, far, 0]]))
        p0, p1 = cam.project(np.array([[lane.centre, 10.0, 0], [lane.centre, 14.0, 0]]))
        direction = (p1 - p0) if lane.inbound else (p0 - p1)
        norm = float(np.hypot(*direction))
        lanes.append(Lane(lane_id=lane.lane_id, polygon=_clip_polygon(quad, w, h),
                          direction=(round(float(direction[0]) / norm, 4), round(float(direction[1]) / norm, 4)),
                          allowed_classes=list(lane.allowed)))
    stop_line = None
    if scene.road.stop_line_m is not None:
        inbound = [lane for lane in lanes_of(scene) if lane.inbound]
        a, b = cam.project(np.array([[inbound[0].x0, scene.road.stop_line_m, 0],
                                     [inbound[-1].x1, scene.road.stop_line_m, 0]]))
        stop_line = tuple(_clip(np.array([a, b]), w, h))
    zones = []
    if scene.road.no_stopping is not None:
        ns = scene.road.no_stopping
        lane = [lg for lg in lanes_of(scene) if lg.inbound][ns.lane]
        x0 = lane.x1 - ns.strip_m
        quad = cam.project(np.array([[x0, ns.from_m, 0], [lane.x1, ns.from_m, 0], [lane.x1, ns.to_m, 0],
                                     [x0, ns.to_m, 0]]))
        zones.append(NoStoppingZone(zone_id="no-stop-1", polygon=_clip_polygon(quad, w, h), max_dwell_s=ns.max_dwell_s,
                                    signal_holds=ns.signal_holds))
    inbound = [lane for lane in lanes_of(scene) if lane.inbound]
    x_left, x_right = inbound[0].x0, inbound[-1].x1
    near, far_m = CALIBRATION_ZONE
    while True:  # the nearest calibration quad over the inbound lanes that the frame shows whole
        ground = [(x_left, near), (x_right, near), (x_right, far_m), (x_left, far_m)]
        image = cam.project(np.array([[x, y, 0] for x, y in ground]))
        if ((image >= 0) & (image <= [w, h])).all() or near > far_m - 5:
            break
        near += 1.0
    speed = SpeedCalibration(
        image_points=[(round(float(x), 2), round(float(y), 2)) for x, y in image],
        ground_points=[to_lonlat(scene, x, y) for x, y in ground],
        limit_kmh=scene.road.speed_limit_kmh,
    )
    signal = None
    if scene.signal is not None:
        rois = signal_head_rois(w)
        signal = SignalRoi(red_roi=rois["red"], amber_roi=rois["amber"], green_roi=rois["green"])
    return SceneConfig(
        camera_id=camera_id,
        frame=scene.frame,
        lanes=lanes,
        stop_line=stop_line,  # type: ignore[arg-type]
        signal=signal,
        no_stopping_zones=zones,
        speed=speed,
        camera=CameraPose(lon=scene.camera.lon, lat=scene.camera.lat, heading_deg=scene.camera.heading_deg,
                          height_m=scene.camera.height_m),
        timestamp_mask=(0, 0, min(560, w), 40),
    )
