"""The camera scene config: what the pipelines need to know about one camera's view.

One YAML per camera (``data/scenes/<camera or scene>.yaml``), validated with pydantic,
unknown keys rejected, every field described. Geometry is in pixels of the configured
frame size; ``load_scene_config`` rejects geometry that does not fit the frame or is
degenerate, naming the file and the field.

Shared by the simulator (which writes the config of each rendered scene) and the
pipelines (which read it); it imports nothing else of ours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Point = tuple[float, float]
VehicleClass = Literal["motorbike", "car", "bus", "truck", "bicycle", "pedestrian"]
VEHICLE_CLASSES: tuple[str, ...] = ("motorbike", "car", "bus", "truck", "bicycle", "pedestrian")
# the one Vietnamese name of each class: in a violation's finding and on the dashboard
VEHICLE_NAMES_VI: Mapping[str, str] = MappingProxyType({
    "motorbike": "xe máy", "car": "ô tô", "bus": "xe khách", "truck": "xe tải", "bicycle": "xe đạp",
    "pedestrian": "người đi bộ",
})


class SceneConfigError(ValueError):
    """The scene config is invalid; the message names the file and every bad field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _area(points: list[Point]) -> float:
    return 0.5 * abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1])))


class Frame(_Model):
    width: int = Field(..., ge=160, le=7680, description="Frame width in pixels")
    height: int = Field(..., ge=120, le=4320, description="Frame height in pixels")
    fps: float = Field(25.0, gt=0, le=120, description="Nominal frames per second of the feed")


class Lane(_Model):
    lane_id: str = Field(..., min_length=1, description="Lane id, unique in the scene")
    polygon: list[Point] = Field(..., min_length=3, description="Lane area in pixels")
    direction: Point = Field(..., description="Allowed direction of travel in the image (dx, dy)")
    allowed_classes: list[VehicleClass] = Field(..., min_length=1, description="Classes allowed in this lane")

    @model_validator(mode="after")
    def _check(self) -> Lane:
        if math.hypot(*self.direction) < 1e-6:
            raise ValueError("direction must be a non-zero vector")
        if _area(list(self.polygon)) < 1.0:
            raise ValueError("polygon is degenerate (no area)")
        return self


class SignalRoi(_Model):
    source: Literal["roi"] = "roi"
    red_roi: tuple[int, int, int, int] = Field(..., description="x, y, w, h of the red lamp in pixels")
    amber_roi: tuple[int, int, int, int] | None = Field(None, description="x, y, w, h of the amber lamp")
    green_roi: tuple[int, int, int, int] | None = Field(None, description="x, y, w, h of the green lamp")


class SignalSchedule(_Model):
    source: Literal["schedule"] = "schedule"
    green_s: float = Field(..., gt=0, description="Green duration in seconds")
    amber_s: float = Field(..., ge=0, description="Amber duration in seconds")
    red_s: float = Field(..., gt=0, description="Red duration in seconds")
    offset_s: float = Field(0.0, description="Seconds after midnight UTC at which a green phase starts")


class SignalExternal(_Model):
    source: Literal["external"] = "external"
    url: str = Field(..., description="Controller feed URL returning the current phase")


Signal = Annotated[SignalRoi | SignalSchedule | SignalExternal, Field(discriminator="source")]


class NoStoppingZone(_Model):
    zone_id: str = Field(..., min_length=1)
    polygon: list[Point] = Field(..., min_length=3, description="Zone area in pixels")
    max_dwell_s: float = Field(..., gt=0, le=3600, description="Longest allowed stop in seconds")
    signal_holds: bool = Field(
        False, description="The zone lies on the signalised approach (needs the scene's signal): time a vehicle "
        "stands while the signal is not green (red, amber, or unread) is waiting at the light, not stopping, "
        "and does not count toward max_dwell_s")

    @model_validator(mode="after")
    def _check(self) -> NoStoppingZone:
        if _area(list(self.polygon)) < 1.0:
            raise ValueError("polygon is degenerate (no area)")
        return self


class SpeedCalibration(_Model):
    image_points: list[Point] = Field(..., min_length=4, max_length=4, description="4 pixel points on the road")
    ground_points: list[Point] = Field(..., min_length=4, max_length=4,
                                       description="The same 4 points on the ground as (lon, lat)")
    limit_kmh: float = Field(..., gt=0, le=200, description="Speed limit in km/h")
    tolerance_kmh: float = Field(
        5.0, ge=0, le=30,
        description="Measured speeds up to limit + tolerance are not violations (Nghị định 168/2024: "
                    "fines start at 5 km/h over the limit)")

    @model_validator(mode="after")
    def _check(self) -> SpeedCalibration:
        if _area(list(self.image_points)) < 100.0:
            raise ValueError("image_points span no area (collinear or repeated)")
        for lon, lat in self.ground_points:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"ground point ({lon}, {lat}) is not a lon/lat")
        return self


class CameraPose(_Model):
    lon: float = Field(..., ge=-180, le=180, description="Camera longitude")
    lat: float = Field(..., ge=-90, le=90, description="Camera latitude")
    heading_deg: float = Field(..., ge=0, lt=360, description="Viewing direction, 0 = north, clockwise")
    height_m: float = Field(6.0, gt=0, le=100, description="Mounting height above the road")


class Detector(_Model):
    type: Literal["motion", "yolo"] = Field("yolo", description="Detector plugin")
    weights: str | None = Field(None, description="Weights file for yolo; default: the shipped data/models/matthan-det.pt")
    imgsz: int = Field(640, ge=160, le=1920, description="Inference image size for yolo (the shipped model is trained at 480 and detects small bicycles and far riders best at 640)")
    runtime: Literal["onnx", "torch"] = Field(
        "onnx", description="Where yolo runs: ONNX Runtime (exported once from .pt weights, faster on CPU) or PyTorch")
    precision: Literal["int8", "fp32"] = Field(
        "int8", description="ONNX Runtime graph: int8 = the 8-bit graph <weights stem>.int8.onnx beside the weights "
        "(python cli.py model quantize; ≈1.35× faster on CPU), used only when made from these weights, else fp32 "
        "with a warning on the run; fp32 = the float graph")
    confidence: dict[VehicleClass, float] = Field(
        default_factory=dict, description="Per-class minimum confidence (others use default_confidence)")
    default_confidence: float = Field(0.1, gt=0, lt=1, description="Minimum confidence of a detection (ByteTrack uses the low ones to keep tracks)")
    track_confidence: float = Field(
        0.5, ge=0, lt=1, description="A track is counted and can raise a violation only once the median confidence of "
        "its last 10 detections has reached this (its low-confidence boxes still keep it tracked); 0 = every track")
    motion_gating: bool = Field(True, description="Run yolo only when something moves (or once a second)")
    detect_fps: float | None = Field(None, gt=0, le=120, description="Detection rate; None = every frame")


class SceneConfig(_Model):
    """Everything the pipelines need to know about one camera's view."""

    camera_id: str | None = Field(None, description="Registry camera id, when bound to a camera")
    frame: Frame
    lanes: list[Lane] = Field(default_factory=list, description="Lanes with direction and allowed classes")
    stop_line: tuple[Point, Point] | None = Field(None, description="Stop line end points in pixels")
    signal: Signal | None = Field(None, description="Where the red phase is read from")
    no_stopping_zones: list[NoStoppingZone] = Field(default_factory=list)
    speed: SpeedCalibration | None = None
    camera: CameraPose | None = None
    timestamp_mask: tuple[int, int, int, int] | None = Field(
        None, description="x, y, w, h of the burnt-in timestamp overlay (ignored by motion detection)")
    detector: Detector = Field(default_factory=Detector)

    @model_validator(mode="after")
    def _fits_frame(self) -> SceneConfig:
        w, h = self.frame.width, self.frame.height

        def inside(label: str, points: list[Point]) -> None:
            for x, y in points:
                if not (0 <= x <= w and 0 <= y <= h):
                    raise ValueError(f"{label}: point ({x}, {y}) is outside the {w}x{h} frame")

        for lane in self.lanes:
            inside(f"lanes[{lane.lane_id}].polygon", list(lane.polygon))
        ids = [lane.lane_id for lane in self.lanes]
        if len(ids) != len(set(ids)):
            raise ValueError("lanes: lane_id values must be unique")
        if self.stop_line is not None:
            inside("stop_line", list(self.stop_line))
            (x1, y1), (x2, y2) = self.stop_line
            if math.hypot(x2 - x1, y2 - y1) < 2:
                raise ValueError("stop_line: the two end points coincide")
        for zone in self.no_stopping_zones:
            inside(f"no_stopping_zones[{zone.zone_id}].polygon", list(zone.polygon))
            if zone.signal_holds and self.signal is None:
                raise ValueError(f"no_stopping_zones[{zone.zone_id}].signal_holds: the scene has no signal to wait at")
        if self.speed is not None:
            inside("speed.image_points", list(self.speed.image_points))
        rois = []
        if isinstance(self.signal, SignalRoi):
            rois = [("signal.red_roi", self.signal.red_roi), ("signal.amber_roi", self.signal.amber_roi),
                    ("signal.green_roi", self.signal.green_roi)]
        rois.append(("timestamp_mask", self.timestamp_mask))
        for label, roi in rois:
            if roi is not None:
                x, y, rw, rh = roi
                if rw <= 0 or rh <= 0 or x < 0 or y < 0 or x + rw > w or y + rh > h:
                    raise ValueError(f"{label}: {roi} does not fit the {w}x{h} frame")
        return self


def load_scene_config(path: Path) -> SceneConfig:
    """Read and validate one scene YAML; ``SceneConfigError`` names the file and fields."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SceneConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SceneConfigError(f"{path}: invalid YAML: {exc}") from exc
    try:
        return SceneConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: invalid scene config:"]
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(root)"
            lines.append(f"  - {key}: {'unknown key' if err['type'] == 'extra_forbidden' else err['msg']}")
        raise SceneConfigError("\n".join(lines)) from exc


def dump_scene_config(config: SceneConfig) -> str:
    """YAML text of a config (round-trips through ``load_scene_config``)."""
    return yaml.safe_dump(config.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)
