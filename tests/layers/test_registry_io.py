from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from analytics import queries
from analytics.records import CameraKind
from analytics.warehouse import Warehouse
from bootstrap import import_registry
from layers.geodata import GeoData
from layers.registry_io import (
    CAMERA_COLUMNS,
    RegistryFileError,
    read_cameras,
    read_sites,
    write_cameras,
    write_sites,
)
from tests.conftest import REGISTRY_DIR


def shipped_rows() -> list[dict[str, str]]:
    with (REGISTRY_DIR / "cameras.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = CAMERA_COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def site_ids(geodata: GeoData) -> set[str]:
    return {s.site_id for s in read_sites(REGISTRY_DIR / "sites.csv", geodata)}


def test_shipped_registry_mirrors_the_real_systems(geodata: GeoData, site_ids: set[str]) -> None:
    cams = read_cameras(REGISTRY_DIR / "cameras.csv", geodata, site_ids)
    assert len(cams) == 481
    by_province = Counter(c.province_code for c in cams)
    assert by_province == {"91": 353, "34": 128}
    assert sum(1 for c in cams if c.province_code == "91" and c.kind is CameraKind.VIOLATION) == 36
    assert {c.province_code_2025 for c in cams if c.province_code == "34"} == {"33"}
    assert {c.location_quality.value for c in cams} == {"surveyed", "approximate"}


def test_thai_binh_sites(geodata: GeoData) -> None:
    sites = [s for s in read_sites(REGISTRY_DIR / "sites.csv", geodata) if s.province_code == "34"]
    kinds = Counter(s.kind for s in sites)
    assert kinds["gateway_bridge"] == 5 and kinds["intersection"] == 6
    assert kinds["key_point"] + kinds["city_gateway"] == 18
    names = " ".join(s.name for s in sites)
    assert "Cầu Tân Đệ" in names and "Cầu Nghìn" in names


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("lat", "95", "outside [-90.0, 90.0]"),
        ("lon", "abc", "is not a number"),
        ("lon", "nan", "not a finite number"),
        ("lat", "", "is not a number"),
        ("kind", "drone", "is not one of violation, security, anpr"),
        ("installed_on", "31/02/2024", "is not a date"),
        ("heading_deg", "360", "outside [0.0, 360.0)"),
        ("stream_url", "file:///etc/passwd", "must start with one of"),
        ("province_code", "9x", "two-digit province code"),
        ("camera_id", "../../etc", "not a valid id"),
        ("name", "", "is empty"),
        ("location_quality", "guess", "is not one of surveyed, approximate"),
    ],
)
def test_bad_value_names_line_field_and_reason(tmp_path: Path, geodata: GeoData, site_ids: set[str],
                                                field: str, value: str, reason: str) -> None:
    rows = shipped_rows()[:5]
    rows[2][field] = value
    path = write_csv(tmp_path / "cams.csv", rows)
    with pytest.raises(RegistryFileError) as info:
        read_cameras(path, geodata, site_ids)
    problems = info.value.problems
    assert any(p.location == "line 4" and p.field == field and reason in p.reason for p in problems), problems
    assert "nothing was written" in str(info.value)


def test_every_bad_row_is_listed(tmp_path: Path, geodata: GeoData, site_ids: set[str]) -> None:
    rows = shipped_rows()[:6]
    rows[0]["lon"], rows[0]["lat"] = "100.50", "13.75"  # Bangkok
    rows[3]["camera_id"] = rows[1]["camera_id"]  # duplicate
    rows[5]["site_id"] = "NO-SUCH-SITE"
    path = write_csv(tmp_path / "cams.csv", rows)
    with pytest.raises(RegistryFileError) as info:
        read_cameras(path, geodata, site_ids)
    found = {(p.location, p.field) for p in info.value.problems}
    assert found == {("line 2", "lon/lat"), ("line 5", "camera_id"), ("line 7", "site_id")}
    message = str(info.value)
    assert "outside Vietnam" in message and "duplicate id" in message and "first at line 3" in message
    assert "unknown site 'NO-SUCH-SITE'" in message


def test_missing_columns_are_listed(tmp_path: Path, geodata: GeoData) -> None:
    path = write_csv(tmp_path / "cams.csv", shipped_rows()[:2],
                     columns=tuple(c for c in CAMERA_COLUMNS if c not in ("lat", "contractor")))
    with pytest.raises(RegistryFileError) as info:
        read_cameras(path, geodata, set())
    assert {(p.location, p.field, p.reason) for p in info.value.problems} == {
        ("header", "lat", "missing column"), ("header", "contractor", "missing column")}


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("cams.txt", "x", "unsupported suffix"),
        ("cams.csv", "", "cannot be read"),
        ("cams.geojson", "{not json", "cannot be read"),
    ],
)
def test_unreadable_files(tmp_path: Path, geodata: GeoData, name: str, content: str, reason: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RegistryFileError, match=reason):
        read_cameras(path, geodata, set())


def test_header_only_file(tmp_path: Path, geodata: GeoData) -> None:
    path = write_csv(tmp_path / "cams.csv", [])
    with pytest.raises(RegistryFileError, match="has no rows"):
        read_cameras(path, geodata, set())


def test_geojson_non_point_geometry(tmp_path: Path, geodata: GeoData, site_ids: set[str]) -> None:
    row = shipped_rows()[0]
    props = ", ".join(f'"{k}": "{v}"' for k, v in row.items() if k not in ("lon", "lat"))
    path = tmp_path / "cams.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {' + props +
                    '}, "geometry": {"type": "LineString", "coordinates": [[105, 10], [105.1, 10.1]]}}]}',
                    encoding="utf-8")
    with pytest.raises(RegistryFileError) as info:
        read_cameras(path, geodata, site_ids)
    assert any(p.location == "feature 1" and p.field == "lon" and "expected a Point" in p.reason
               for p in info.value.problems)


def test_bad_file_writes_nothing_and_good_file_upserts(tmp_path: Path, demo_warehouse: Warehouse,
                                                        geodata: GeoData) -> None:
    rows = shipped_rows()
    rows[0]["name"] = "Tên đã sửa"
    rows[10]["lat"] = "999"
    bad = write_csv(tmp_path / "bad.csv", rows)
    with demo_warehouse.reader() as cur:
        before = queries.cameras_table(cur)
    with pytest.raises(RegistryFileError):
        import_registry(demo_warehouse, geodata, sites_file=None, cameras_file=bad)
    with demo_warehouse.reader() as cur:
        after = queries.cameras_table(cur)
    assert after["name"].tolist() == before["name"].tolist()  # nothing partially written

    rows[10]["lat"] = shipped_rows()[10]["lat"]
    good = write_csv(tmp_path / "good.csv", rows)
    result = import_registry(demo_warehouse, geodata, sites_file=None, cameras_file=good)
    assert result.cameras == 481
    with demo_warehouse.reader() as cur:
        frame = queries.cameras_table(cur).set_index("camera_id")
    assert len(frame) == 481
    assert frame.loc[rows[0]["camera_id"], "name"] == "Tên đã sửa"
    assert frame.loc[rows[0]["camera_id"], "source"] == "registry"


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg"])
def test_export_import_round_trip(tmp_path: Path, demo_warehouse: Warehouse, geodata: GeoData,
                                  suffix: str) -> None:
    with demo_warehouse.reader() as cur:
        cams, sites = queries.cameras_table(cur), queries.sites_table(cur)
    cam_path = write_cameras(cams, tmp_path / f"cameras{suffix}")
    site_path = write_sites(sites, tmp_path / f"sites{suffix}")
    read_back_sites = read_sites(site_path, geodata)
    read_back = read_cameras(cam_path, geodata, {s.site_id for s in read_back_sites})
    assert len(read_back) == 481 and len(read_back_sites) == len(sites)
    original = {r.camera_id: r for r in read_cameras(REGISTRY_DIR / "cameras.csv", geodata,
                                                     {s.site_id for s in read_back_sites})}
    for cam in read_back:
        ref = original[cam.camera_id]
        assert (cam.name, cam.kind, cam.installed_on, cam.site_id) == (ref.name, ref.kind, ref.installed_on, ref.site_id)
        assert abs(cam.lon - ref.lon) < 1e-9 and abs(cam.lat - ref.lat) < 1e-9
    assert not list(tmp_path.glob(".*tmp*"))  # atomic write leaves no temp file


def test_export_rejects_unknown_format(tmp_path: Path, demo_warehouse: Warehouse) -> None:
    with demo_warehouse.reader() as cur:
        cams = queries.cameras_table(cur)
    with pytest.raises(ValueError, match="unsupported suffix"):
        write_cameras(cams, tmp_path / "cameras.xlsx")
