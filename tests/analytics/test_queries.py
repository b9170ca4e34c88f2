from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analytics import queries
from analytics.records import CameraKind, CameraStatus
from analytics.warehouse import Warehouse
from tests.analytics import builders


@pytest.fixture
def small(warehouse: Warehouse) -> Warehouse:
    warehouse.upsert(
        [builders.site(), builders.site(site_id="S2", province_code="34", province_code_2025="33",
                                        lon=106.34, lat=20.45)],
        [
            builders.camera(),
            builders.camera(camera_id="C2", kind=CameraKind.SECURITY),
            builders.camera(camera_id="C3", site_id="S2", province_code="34", province_code_2025="33",
                            lon=106.34, lat=20.45),
        ],
        [
            builders.check(checked_at=datetime(2025, 1, 1, 0, 0, tzinfo=UTC), status=CameraStatus.ONLINE),
            builders.check(checked_at=datetime(2025, 1, 1, 0, 5, tzinfo=UTC), status=CameraStatus.FROZEN),
        ],
    )
    return warehouse


def test_camera_map_filters(small: Warehouse) -> None:
    with small.reader() as cur:
        assert list(queries.camera_map(cur, allowed=None)["camera_id"]) == ["C1", "C2", "C3"]
        assert list(queries.camera_map(cur, edition="2025", provinces=["33"], allowed=None)["camera_id"]) == ["C3"]
        assert list(queries.camera_map(cur, edition="2008", provinces=["34"], allowed=None)["camera_id"]) == ["C3"]
        assert list(queries.camera_map(cur, kinds=["security"], allowed=None)["camera_id"]) == ["C2"]
        assert queries.camera_map(cur, kinds=[], allowed=None).empty
        assert queries.camera_map(cur, provinces=[], allowed=None).empty


def test_latest_status_wins_and_unknown_when_never_checked(small: Warehouse) -> None:
    with small.reader() as cur:
        frame = queries.camera_map(cur, allowed=None).set_index("camera_id")
    assert frame.loc["C1", "status"] == "frozen"
    assert frame.loc["C1", "last_checked_at"] == datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
    assert frame.loc["C2", "status"] == "unknown"


def test_filter_values_are_bound_not_spliced(small: Warehouse) -> None:
    hostile = "91') OR 1=1 --"
    with small.reader() as cur:
        assert queries.camera_map(cur, provinces=[hostile], allowed=None).empty
        assert queries.camera_map(cur, kinds=[hostile], allowed=frozenset({hostile})).empty
        assert queries.camera_detail(cur, "C1' OR '1'='1").empty
        assert queries.table_counts(cur)["cameras"] == 3


def test_bad_edition_is_rejected(small: Warehouse) -> None:
    with small.reader() as cur, pytest.raises(ValueError):
        queries.camera_map(cur, edition="1999", allowed=None)  # type: ignore[arg-type]


def test_detail_and_sites(small: Warehouse) -> None:
    with small.reader() as cur:
        detail = queries.camera_detail(cur, "C3")
        sites = queries.sites(cur, edition="2008", allowed=None)
        scoped = queries.sites(cur, edition="2008", allowed=frozenset({"C3"}))
    assert detail.iloc[0]["site_name"] == "Ngã tư thử nghiệm"
    assert detail.iloc[0]["status"] == "unknown"
    assert dict(zip(sites["site_id"], sites["cameras"], strict=True)) == {"S1": 2, "S2": 1}
    assert set(sites["province"]) == {"91", "34"}
    assert dict(zip(scoped["site_id"], scoped["cameras"], strict=True)) == {"S2": 1}


def test_scope_limits_the_map(small: Warehouse) -> None:
    with small.reader() as cur:
        assert list(queries.camera_map(cur, allowed=frozenset({"C1", "C3"}))["camera_id"]) == ["C1", "C3"]
        assert queries.camera_map(cur, allowed=frozenset()).empty
