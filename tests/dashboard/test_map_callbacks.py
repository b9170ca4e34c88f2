"""Map page callbacks exercised over HTTP with Flask's test client (no browser)."""

from __future__ import annotations

from datetime import UTC, datetime

from dash import Dash

from analytics.records import CameraStatus
from analytics.warehouse import Warehouse
from tests.analytics import builders
from tests.dashboard.dash_http import call_callback, login

FIGURE_OUT = [("map-graph", "figure"), ("map-summary", "children"), ("map-demo-badge", "hidden")]


def figure_inputs(edition: str = "2025", province: str = "all", kinds: list[str] | None = None,
                  color_by: str = "kind") -> list[tuple[str, str, object]]:
    return [("map-edition", "value", edition), ("map-province", "value", province),
            ("map-kinds", "value", kinds if kinds is not None else ["violation", "anpr", "security"]),
            ("map-color-by", "value", color_by), ("map-refresh", "n_intervals", None)]


def camera_ids(figure: dict) -> list[str]:
    return [cd[0] for tr in figure["data"] if tr.get("meta") == "camera" for cd in tr["customdata"]]


def test_root_redirects_to_map(dash_app: Dash) -> None:
    client = login(dash_app.server, "admin")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/map")
    assert client.get("/map").status_code == 200


def test_all_cameras_on_the_map(dash_app: Dash) -> None:
    status, out = call_callback(login(dash_app.server, "admin"), FIGURE_OUT, figure_inputs(),
                                [("map-lang", "data", "vi")])
    assert status == 200
    assert len(camera_ids(out["map-graph"]["figure"])) == 481
    assert out["map-summary"]["children"] == "Đang hiển thị 481 camera"
    assert out["map-demo-badge"]["hidden"] is False  # demo registry is labelled


def test_filters(dash_app: Dash) -> None:
    client = login(dash_app.server, "admin")
    _, out = call_callback(client, FIGURE_OUT, figure_inputs(province="33"), [("map-lang", "data", "vi")])
    assert len(camera_ids(out["map-graph"]["figure"])) == 128
    _, out = call_callback(client, FIGURE_OUT, figure_inputs(edition="2008", province="91", kinds=["violation"]),
                           [("map-lang", "data", "en")])
    ids = camera_ids(out["map-graph"]["figure"])
    assert len(ids) == 36 and all(i.startswith("KG-VP-") for i in ids)
    assert out["map-summary"]["children"] == "Showing 36 cameras"
    _, out = call_callback(client, FIGURE_OUT, figure_inputs(kinds=[]), [("map-lang", "data", "vi")])
    assert camera_ids(out["map-graph"]["figure"]) == []


def test_hostile_filter_values_return_nothing(dash_app: Dash) -> None:
    client = login(dash_app.server, "admin")
    _, out = call_callback(client, FIGURE_OUT, figure_inputs(province="91' OR '1'='1", kinds=["x' --"]),
                           [("map-lang", "data", "vi")])
    assert camera_ids(out["map-graph"]["figure"]) == []
    status, _ = call_callback(client, FIGURE_OUT, figure_inputs(edition="1999"), [("map-lang", "data", "vi")])
    assert status == 204  # PreventUpdate: nothing sent back


def test_colour_by_status_reflects_latest_check(dash_app: Dash, demo_warehouse: Warehouse) -> None:
    demo_warehouse.upsert([builders.check(camera_id="KG-VP-001", status=CameraStatus.OFFLINE,
                                          checked_at=datetime(2025, 5, 1, 3, 0, tzinfo=UTC))])
    _, out = call_callback(login(dash_app.server, "admin"), FIGURE_OUT, figure_inputs(color_by="status"),
                           [("map-lang", "data", "vi")])
    traces = {tr["name"]: tr for tr in out["map-graph"]["figure"]["data"] if tr.get("meta") == "camera"}
    assert set(traces) == {"Mất kết nối (1)", "Chưa kiểm tra (480)"}
    row = traces["Mất kết nối (1)"]["customdata"][0]
    assert row[0] == "KG-VP-001" and row[5] == "01/05/2025 10:00"  # UTC 03:00 → 10:00 Vietnam time


def test_province_options_follow_edition(dash_app: Dash) -> None:
    out_spec = [("map-province", "options"), ("map-province", "value"), ("map-derived-note", "hidden")]
    client = login(dash_app.server, "admin")
    _, out = call_callback(client, out_spec, [("map-edition", "value", "2008")],
                           [("map-province", "value", "33"), ("map-lang", "data", "vi")])
    assert [o["value"] for o in out["map-province"]["options"]] == ["all", "91", "34"]
    assert out["map-province"]["value"] == "all"  # 33 does not exist in 2008
    assert out["map-derived-note"]["hidden"] is True
    _, out = call_callback(client, out_spec, [("map-edition", "value", "2025")],
                           [("map-province", "value", "91"), ("map-lang", "data", "en")])
    labels = [o["label"] for o in out["map-province"]["options"]]
    assert labels[0] == "All" and "Hưng Yên (2025)" in labels
    assert out["map-province"]["value"] == "91"


def test_camera_panel(dash_app: Dash) -> None:
    client = login(dash_app.server, "admin")
    click = {"points": [{"customdata": ["TB-VP-001", "x"]}]}
    status, out = call_callback(client, [("map-camera-panel", "children")], [("map-graph", "clickData", click)],
                                [("map-lang", "data", "vi")])
    assert status == 200
    text = str(out["map-camera-panel"]["children"])
    assert "TB-VP-001" in text and "Cầu Tân Đệ" in text and "Viettel Thái Bình" in text
    assert "34 / 33" in text and "Chưa kiểm tra" in text and "Dữ liệu mô phỏng" in text

    _, out = call_callback(client, [("map-camera-panel", "children")],
                           [("map-graph", "clickData", {"points": [{"customdata": ["NOPE"]}]})],
                           [("map-lang", "data", "en")])
    assert "Camera NOPE not found." in str(out["map-camera-panel"]["children"])

    status, _ = call_callback(client, [("map-camera-panel", "children")],
                              [("map-graph", "clickData", {"points": [{"x": 1}]})], [("map-lang", "data", "vi")])
    assert status == 204  # a click on a road or outline changes nothing
