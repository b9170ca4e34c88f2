"""The simulated history has the shape of real traffic, and writing it twice adds nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from analytics import queries
from analytics.evidence_manifest import load_manifest, verify_folder
from analytics.warehouse import Warehouse
from bootstrap import prepare_history
from simulator.demo_history import HistoryCamera, build_history
from tests.conftest import ROOT

CAMERAS = [
    HistoryCamera(camera_id="KG-VP-001", kind="violation", site_kind="intersection", plate_prefix="68"),
    HistoryCamera(camera_id="TB-VP-001", kind="violation", site_kind="gateway_bridge", plate_prefix="17"),
    HistoryCamera(camera_id="KG-AN-001", kind="security", site_kind="key_point", plate_prefix="68"),
]


@pytest.fixture(scope="module")
def history():  # type: ignore[no-untyped-def]
    return build_history(CAMERAS, days=120, end=date(2026, 4, 1), seed=5)  # covers Tết 17/02/2026


def local(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].dt.tz_convert("Asia/Ho_Chi_Minh")


def test_columns_match_the_records(history) -> None:  # type: ignore[no-untyped-def]
    assert set(history.count_bins.columns) == {"camera_id", "bin_start", "vehicle_class", "movement", "count", "source"}
    assert (history.violations["source"] == "demo").all() and (history.camera_checks["source"] == "demo").all()
    assert history.count_bins["camera_id"].nunique() == 2  # only violation cameras count traffic
    assert history.camera_checks["camera_id"].nunique() == 3


def test_morning_and_evening_peaks(history) -> None:  # type: ignore[no-untyped-def]
    counts = history.count_bins.assign(hour=local(history.count_bins, "bin_start").dt.hour)
    by_hour = counts.groupby("hour")["count"].sum()
    assert by_hour[7] > 1.2 * by_hour[10] and by_hour[17] > 1.2 * by_hour[14]
    assert by_hour[3] < by_hour[7] / 8


def test_weekends_and_tet_are_lighter(history) -> None:  # type: ignore[no-untyped-def]
    counts = history.count_bins.assign(day=local(history.count_bins, "bin_start").dt.date)
    daily = counts.groupby("day")["count"].sum()
    weekday = daily[[d for d in daily.index if d.weekday() < 5 and abs((d - date(2026, 2, 17)).days) > 10]].median()
    sunday = daily[[d for d in daily.index if d.weekday() == 6 and abs((d - date(2026, 2, 17)).days) > 10]].median()
    tet = daily[[date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19)]].mean()
    assert sunday < 0.85 * weekday
    assert tet < 0.5 * weekday


def test_site_propensities(history) -> None:  # type: ignore[no-untyped-def]
    v = history.violations
    bridge = v[v["camera_id"] == "TB-VP-001"]["violation_type"].value_counts()
    crossing = v[v["camera_id"] == "KG-VP-001"]["violation_type"].value_counts()
    assert bridge.index[0] == "speeding" and "red_light" not in bridge
    assert {"red_light", "stop_line", "no_helmet"} <= set(crossing.index)
    speeding = v[v["violation_type"] == "speeding"]
    assert speeding["speed_kmh"].min() > 55
    assert v["violation_id"].is_unique


def test_outages_show_in_checks_and_silence_the_camera(history) -> None:  # type: ignore[no-untyped-def]
    assert len(history.outages) > 0
    out = history.outages.iloc[0]
    checks = history.camera_checks
    during = checks[(checks["camera_id"] == out["camera_id"]) & (checks["checked_at"] >= out["started_at"])
                    & (checks["checked_at"] < (out["ended_at"] or datetime.max.replace(tzinfo=UTC)))]
    if not during.empty:
        assert (during["status"] == out["cause"]).all()


def test_deterministic(history) -> None:  # type: ignore[no-untyped-def]
    again = build_history(CAMERAS, days=120, end=date(2026, 4, 1), seed=5)
    pd.testing.assert_frame_equal(again.violations, history.violations)
    pd.testing.assert_frame_equal(again.count_bins, history.count_bins)


def test_prepare_twice_adds_nothing(demo_warehouse: Warehouse) -> None:
    first = prepare_history(demo_warehouse, days=4, end=date(2026, 11, 20))
    with demo_warehouse.reader() as cur:
        counts = queries.table_counts(cur)
    assert not first.skipped and counts["count_bins"] == first.count_bins > 0
    assert counts["camera_checks"] == 481 * 4 * 24
    second = prepare_history(demo_warehouse, days=4, end=date(2026, 11, 20))
    with demo_warehouse.reader() as cur:
        assert queries.table_counts(cur) == counts
    assert second.skipped
    later = prepare_history(demo_warehouse, days=4, end=date(2026, 11, 21))  # the next day: window moves
    with demo_warehouse.reader() as cur:
        moved = queries.table_counts(cur)
        first_check = cur.execute("SELECT min(checked_at) FROM camera_checks").fetchone()[0]
    assert not later.skipped and moved["camera_checks"] == counts["camera_checks"]
    assert first_check == datetime(2026, 11, 16, 17, tzinfo=UTC) + timedelta(hours=0)


def test_demo_violations_carry_pool_evidence(demo_warehouse: Warehouse, tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "evidence"
    prepare_history(demo_warehouse, days=2, end=date(2026, 11, 20), evidence_root=root,
                    scenes_dir=ROOT / "data" / "scenes" / "sim")
    with demo_warehouse.reader() as cur:
        paths = cur.execute("SELECT DISTINCT evidence_path FROM violations ORDER BY 1").fetchall()
    assert [p[0] for p in paths] == ["demo-pool/cau_tan_de", "demo-pool/nga_ba_thai_binh",
                                     "demo-pool/nga_tu_rach_gia"]
    for (path,) in paths:
        folder = root / path
        assert verify_folder(folder) == []
        names = {f.name for f in load_manifest(folder).files}
        assert {"clip.mp4", "keyframe_1.jpg", "keyframe_2.jpg", "keyframe_3.jpg", "plate.jpg"} <= names
