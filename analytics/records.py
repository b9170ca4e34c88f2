"""Typed records that flow from the pipelines and importers into the warehouse.

Every record is a frozen, keyword-only dataclass: stages hand these over instead of
dicts or tuples. Timestamps are timezone-aware UTC ``datetime`` objects; a naive
datetime is rejected at construction so local times can never be stored by mistake.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta


class CameraKind(str, enum.Enum):
    """What a camera is installed for."""

    VIOLATION = "violation"  # camera giám sát vi phạm (phạt nguội)
    SECURITY = "security"  # camera an ninh
    ANPR = "anpr"  # camera nhận dạng biển số


class LocationQuality(str, enum.Enum):
    """How much the stored coordinate can be trusted."""

    SURVEYED = "surveyed"
    APPROXIMATE = "approximate"


class CameraStatus(str, enum.Enum):
    """Result of one health check of a camera."""

    ONLINE = "online"
    OFFLINE = "offline"
    FROZEN = "frozen"
    BLACK = "black"
    BLURRED = "blurred"
    DARK = "dark"
    OCCLUDED = "occluded"
    VIEW_SHIFTED = "view_shifted"
    UNKNOWN = "unknown"  # never checked


class ViolationType(str, enum.Enum):
    RED_LIGHT = "red_light"
    STOP_LINE = "stop_line"
    WRONG_WAY = "wrong_way"
    WRONG_LANE = "wrong_lane"
    ILLEGAL_STOP = "illegal_stop"
    SPEEDING = "speeding"
    NO_HELMET = "no_helmet"


class DataSource(str, enum.Enum):
    """Where a row came from; demo rows are labelled as such in the UI."""

    REGISTRY = "registry"
    PIPELINE = "pipeline"
    DEMO = "demo"


def _require_utc(name: str, value: datetime | None) -> None:
    if value is None:
        return
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValueError(f"{name} must be a timezone-aware UTC datetime, got {value!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Site:
    """A named place where cameras stand (intersection, bridge, gateway, key point)."""

    site_id: str
    name: str
    kind: str
    province_code: str
    province_code_2025: str
    lon: float
    lat: float
    location_quality: LocationQuality
    source: DataSource = DataSource.REGISTRY


@dataclass(frozen=True, kw_only=True, slots=True)
class Camera:
    """One camera of the provincial registry."""

    camera_id: str
    name: str
    kind: CameraKind
    site_id: str
    lon: float
    lat: float
    heading_deg: float
    province_code: str
    province_code_2025: str
    stream_url: str
    snapshot_url: str
    contractor: str
    installed_on: date
    location_quality: LocationQuality
    source: DataSource = DataSource.REGISTRY

    def __post_init__(self) -> None:
        if not 0.0 <= self.heading_deg < 360.0:
            raise ValueError(f"heading_deg must be in [0, 360), got {self.heading_deg}")


@dataclass(frozen=True, kw_only=True, slots=True)
class CameraCheck:
    """One health probe of a camera by the health checker."""

    camera_id: str
    checked_at: datetime
    status: CameraStatus
    latency_ms: float | None = None
    detail: str = ""
    source: DataSource = DataSource.PIPELINE

    def __post_init__(self) -> None:
        _require_utc("checked_at", self.checked_at)


@dataclass(frozen=True, kw_only=True, slots=True)
class Outage:
    """A period in which a camera was not usable; ``ended_at`` is None while open."""

    outage_id: str
    camera_id: str
    started_at: datetime
    ended_at: datetime | None
    cause: CameraStatus
    source: DataSource = DataSource.PIPELINE

    def __post_init__(self) -> None:
        _require_utc("started_at", self.started_at)
        _require_utc("ended_at", self.ended_at)
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")


@dataclass(frozen=True, kw_only=True, slots=True)
class Violation:
    """One detected traffic violation. ``violation_id`` is deterministic
    (camera, segment, track, type) so re-processing upserts instead of duplicating."""

    violation_id: str
    camera_id: str
    violation_type: ViolationType
    occurred_at: datetime
    track_id: int
    vehicle_class: str
    plate_text: str | None
    plate_confidence: float | None
    plate_needs_review: bool
    speed_kmh: float | None
    evidence_path: str | None
    run_id: str | None
    workflow_state: str = "detected"
    source: DataSource = DataSource.PIPELINE
    # what the rule measured, in the evidence's words (Vietnamese): the dwell against the zone's
    # limit, the speed against the limit, the lane; empty when nothing was measured
    finding: str = ""

    def __post_init__(self) -> None:
        _require_utc("occurred_at", self.occurred_at)


@dataclass(frozen=True, kw_only=True, slots=True)
class CountBin:
    """Vehicles counted at one camera in one 15-minute bin, per class and movement."""

    camera_id: str
    bin_start: datetime
    vehicle_class: str
    movement: str
    count: int
    source: DataSource = DataSource.PIPELINE

    def __post_init__(self) -> None:
        _require_utc("bin_start", self.bin_start)
        if self.count < 0:
            raise ValueError("count must be >= 0")


@dataclass(frozen=True, kw_only=True, slots=True)
class PipelineRun:
    """Bookkeeping of one processing job, keyed by (camera, segment start)."""

    run_id: str
    camera_id: str
    segment_start: datetime
    segment_end: datetime
    started_at: datetime
    finished_at: datetime | None
    status: str
    detector: str
    frames_read: int = 0
    frames_detected: int = 0
    fps: float | None = None
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    source: DataSource = DataSource.PIPELINE

    def __post_init__(self) -> None:
        for name in ("segment_start", "segment_end", "started_at", "finished_at"):
            _require_utc(name, getattr(self, name))


@dataclass(frozen=True, kw_only=True, slots=True)
class Area:
    """A police area of responsibility inside a province (scope level below province)."""

    area_id: str
    name: str
    province_code: str  # 2025 code


@dataclass(frozen=True, kw_only=True, slots=True)
class SiteArea:
    site_id: str
    area_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CameraGroup:
    """A named set of cameras inside an area (the finest scope level)."""

    group_id: str
    name: str
    area_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CameraGroupMember:
    group_id: str
    camera_id: str
