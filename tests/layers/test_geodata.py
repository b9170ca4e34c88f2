from __future__ import annotations

from pathlib import Path

import pytest

from layers.geodata import CRS, GeoData, GeoDataError


@pytest.mark.parametrize("edition", ["2008", "2025"])
def test_provinces_are_valid_wgs84(geodata: GeoData, edition: str) -> None:
    frame = geodata.provinces(edition)  # type: ignore[arg-type]
    assert frame.crs.to_string() == CRS
    assert frame.geometry.is_valid.all()
    assert len(frame) == 2
    minx, miny, maxx, maxy = frame.total_bounds
    assert 102 < minx < maxx < 110 and 8 < miny < maxy < 24  # inside Vietnam's extent


def test_editions_carry_their_codes(geodata: GeoData) -> None:
    assert set(geodata.provinces("2008")["code"]) == {"91", "34"}
    new = geodata.provinces("2025")
    assert set(new["code"]) == {"91", "33"}
    assert not new["official"].any()  # derived outlines are labelled as such
    assert geodata.provinces("2008")["official"].all()


def test_merged_provinces_contain_the_old_ones(geodata: GeoData) -> None:
    old = geodata.provinces("2008").set_index("code").geometry
    new = geodata.provinces("2025").set_index("code").geometry
    assert new["91"].buffer(1e-6).contains(old["91"])  # An Giang 2025 ⊇ Kiên Giang
    assert new["33"].buffer(1e-6).contains(old["34"])  # Hưng Yên 2025 ⊇ Thái Bình


def test_roads_exclude_railways(geodata: GeoData) -> None:
    roads = geodata.roads()
    assert roads.crs.to_string() == CRS
    assert len(roads) > 0 and roads.geometry.is_valid.all()
    assert not roads["name"].str.contains("Hà Nội - Hồ Chí Minh").any()
    assert {"Quốc lộ 10", "Quốc lộ 80", "Quốc lộ 63"} <= set(roads["name"])


@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [
        (106.34222, 20.44611, True),  # TP Thái Bình
        (103.9660, 10.2160, True),  # Phú Quốc island
        (105.0833, 10.0167, True),  # Rạch Giá (coarse coast: within tolerance)
        (104.9160, 11.5560, False),  # Phnom Penh
        (100.50, 13.75, False),  # Bangkok
        (0.0, 0.0, False),
    ],
)
def test_inside_vietnam_with_tolerance(geodata: GeoData, lon: float, lat: float, inside: bool) -> None:
    assert (geodata.distance_outside_vietnam_km(lon, lat) <= 5.0) is inside


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(GeoDataError, match="provinces_kg_tb_2008.geojson"):
        GeoData(tmp_path).provinces("2008")


def test_unknown_edition(geodata: GeoData) -> None:
    with pytest.raises(ValueError):
        geodata.provinces("1975")  # type: ignore[arg-type]


def test_invalid_geometry_is_repaired(tmp_path: Path) -> None:
    bowtie = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
              '{"shapeName":"X","ma_tinh":"91"},"geometry":{"type":"Polygon","coordinates":'
              '[[[105,10],[106,11],[106,10],[105,11],[105,10]]]}}]}')
    (tmp_path / "provinces_kg_tb_2008.geojson").write_text(bowtie, encoding="utf-8")
    frame = GeoData(tmp_path).provinces("2008")
    assert frame.geometry.is_valid.all()
