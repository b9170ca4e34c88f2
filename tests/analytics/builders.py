"""Small builders of valid records for tests; override any field by keyword."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from analytics.records import (
    Camera,
    CameraCheck,
    CameraKind,
    CameraStatus,
    LocationQuality,
    Site,
    Violation,
    ViolationType,
)


def site(**over: Any) -> Site:
    fields: dict[str, Any] = dict(
        site_id="S1", name="Ngã tư thử nghiệm", kind="intersection", province_code="91",
        province_code_2025="91", lon=105.08, lat=10.01, location_quality=LocationQuality.APPROXIMATE,
    )
    fields.update(over)
    return Site(**fields)


def camera(**over: Any) -> Camera:
    fields: dict[str, Any] = dict(
        camera_id="C1", name="Camera thử nghiệm", kind=CameraKind.VIOLATION, site_id="S1",
        lon=105.08, lat=10.01, heading_deg=90.0, province_code="91", province_code_2025="91",
        stream_url="rtsp://127.0.0.1/c1", snapshot_url="http://127.0.0.1/c1.jpg",
        contractor="VNPT", installed_on=date(2024, 12, 1), location_quality=LocationQuality.SURVEYED,
    )
    fields.update(over)
    return Camera(**fields)


def check(**over: Any) -> CameraCheck:
    fields: dict[str, Any] = dict(
        camera_id="C1", checked_at=datetime(2025, 1, 1, 0, 0, tzinfo=UTC), status=CameraStatus.ONLINE,
        latency_ms=12.0,
    )
    fields.update(over)
    return CameraCheck(**fields)


def violation(**over: Any) -> Violation:
    fields: dict[str, Any] = dict(
        violation_id="V1", camera_id="C1", violation_type=ViolationType.RED_LIGHT,
        occurred_at=datetime(2025, 1, 1, 1, 2, 3, tzinfo=UTC), track_id=7, vehicle_class="motorbike",
        plate_text="68-B1 234.56", plate_confidence=0.93, plate_needs_review=False, speed_kmh=None,
        evidence_path=None, run_id=None,
    )
    fields.update(over)
    return Violation(**fields)
