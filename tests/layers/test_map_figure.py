from __future__ import annotations

import pandas as pd
import pytest

from layers.geodata import GeoData
from layers.map_figure import MapText, Tiles, camera_map_figure

TEXT = MapText(
    kind_labels={"violation": "Phạt nguội", "anpr": "Biển số", "security": "An ninh"},
    status_labels={"online": "Hoạt động", "offline": "Mất kết nối", "unknown": "Chưa kiểm tra"},
    roads="Quốc lộ", sites="Điểm", hover_kind="Loại", hover_status="Trạng thái", hover_site="Điểm",
    hover_last_check="Kiểm tra",
)


def cameras() -> pd.DataFrame:
    return pd.DataFrame({
        "camera_id": ["A", "B", "C", "D"],
        "name": ["Cam A", "Cam B", "Cam C", "Cam D"],
        "kind": ["violation", "security", "security", "anpr"],
        "status": ["online", "offline", "unknown", "online"],
        "site_name": ["S", "S", None, "T"],
        "lon": [105.08, 105.09, 106.34, 106.35],
        "lat": [10.01, 10.02, 20.44, 20.45],
        "last_check": ["01/01/2025 07:00", "", "chưa có", ""],
    })


def sites() -> pd.DataFrame:
    return pd.DataFrame({"name": ["S", "T"], "lon": [105.08, 106.34], "lat": [10.01, 20.44]})


def camera_traces(fig):  # type: ignore[no-untyped-def]
    return [tr for tr in fig.data if tr.meta == "camera"]


@pytest.mark.parametrize("color_by", ["kind", "status"])
def test_every_camera_is_one_marker(geodata: GeoData, color_by: str) -> None:
    fig = camera_map_figure(provinces=geodata.provinces("2025"), roads=geodata.roads(), sites=sites(),
                            cameras=cameras(), color_by=color_by, text=TEXT)
    traces = camera_traces(fig)
    ids = sorted(cd[0] for tr in traces for cd in tr.customdata)
    assert ids == ["A", "B", "C", "D"]
    assert all(tr.type == "scatter" for tr in fig.data)  # tile-free: plain SVG scatter
    names = " ".join(tr.name for tr in traces)
    if color_by == "kind":
        assert "Phạt nguội (1)" in names and "An ninh (2)" in names
    else:
        assert "Hoạt động (2)" in names and "Mất kết nối (1)" in names


def test_hover_is_vietnamese_and_safe(geodata: GeoData) -> None:
    fig = camera_map_figure(provinces=geodata.provinces("2008"), roads=geodata.roads(), sites=sites(),
                            cameras=cameras(), color_by="kind", text=TEXT)
    trace = next(tr for tr in camera_traces(fig) if tr.customdata[0][0] == "A")
    assert "Loại: %{customdata[2]}" in trace.hovertemplate
    assert list(trace.customdata[0]) == ["A", "Cam A", "Phạt nguội", "Hoạt động", "S", "01/01/2025 07:00"]


def test_focus_sets_the_view(geodata: GeoData) -> None:
    provinces = geodata.provinces("2008")
    tb = provinces[provinces["code"] == "34"].geometry.union_all()
    fig = camera_map_figure(provinces=provinces, roads=geodata.roads(), sites=sites(), cameras=cameras(),
                            color_by="kind", text=TEXT, focus=tb)
    y0, y1 = fig.layout.yaxis.range
    assert 20.0 < y0 < y1 < 21.0


def test_tiles_when_configured(geodata: GeoData) -> None:
    tiles = Tiles(url="https://tiles.example.vn/{z}/{x}/{y}.png", attribution="© Example")
    fig = camera_map_figure(provinces=geodata.provinces("2025"), roads=geodata.roads(), sites=sites(),
                            cameras=cameras(), color_by="kind", text=TEXT, tiles=tiles,
                            context=geodata.vietnam_outline())
    assert all(tr.type == "scattermap" for tr in fig.data)
    layer = fig.layout.map.layers[0]
    assert layer.sourcetype == "raster" and list(layer.source) == [tiles.url]
    assert fig.layout.map.style == "white-bg"
    assert sum(len(tr.customdata) for tr in camera_traces(fig)) == 4


def test_empty_selection_still_draws_the_base(geodata: GeoData) -> None:
    fig = camera_map_figure(provinces=geodata.provinces("2025"), roads=geodata.roads(), sites=sites().iloc[:0],
                            cameras=cameras().iloc[:0], color_by="status", text=TEXT,
                            context=geodata.vietnam_outline())
    assert camera_traces(fig) == []
    assert {tr.meta for tr in fig.data} == {"context", "province", "road"}


def test_bad_color_by(geodata: GeoData) -> None:
    with pytest.raises(ValueError):
        camera_map_figure(provinces=geodata.provinces("2025"), roads=geodata.roads(), sites=sites(),
                          cameras=cameras(), color_by="vendor", text=TEXT)
