"""With ``map.tiles_url`` configured the map draws those tiles: a real tile server on
loopback, real headless Chromium (software WebGL), tile requests observed on the server."""

from __future__ import annotations

import io
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dash import Dash
from PIL import Image
from selenium.webdriver.support.wait import WebDriverWait

from analytics.warehouse import Warehouse
from dashboard.app_factory import create_app
from dashboard.auth.accounts import AccountService
from dashboard.services import DashboardServices
from layers.geodata import GeoData
from layers.map_figure import Tiles
from tests.conftest import serving
from tests.dashboard.test_browser_map import browser_login

pytestmark = pytest.mark.browser

CAMERAS_IN_FIGURE = """
const gd = document.querySelector('#map-graph .js-plotly-plot');
if (!gd || !gd.data || !gd._fullLayout || !gd._fullLayout.map) return -1;
return gd.data.filter(t => t.meta === 'camera').reduce((n, t) => n + t.customdata.length, 0);
"""


@pytest.fixture
def tile_server() -> Iterator[tuple[str, list[str]]]:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 230, 200)).save(buf, "PNG")
    png, hits = buf.getvalue(), []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            return  # keep the test output quiet

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as base:
        yield f"{base}/{{z}}/{{x}}/{{y}}.png", hits


def test_configured_tiles_are_drawn(dash_duo, demo_warehouse: Warehouse, geodata: GeoData,  # type: ignore[no-untyped-def]
                                    accounts: AccountService, tile_server: tuple[str, list[str]]) -> None:
    url, hits = tile_server
    app: Dash = create_app(DashboardServices(
        warehouse=demo_warehouse, accounts=accounts, secret_key=b"t" * 64, cookie_secure=False,
        evidence_root=demo_warehouse.path.parent / "evidence", geodata=geodata, tiles=Tiles(url=url, attribution="© test tiles"),
        default_edition="2025", timezone="Asia/Ho_Chi_Minh",
    ))
    dash_duo.start_server(app, navigate=False)
    browser_login(dash_duo, "admin")
    dash_duo.wait_for_element("#map-graph .maplibregl-canvas", timeout=30)
    WebDriverWait(dash_duo.driver, 30).until(lambda d: d.execute_script(CAMERAS_IN_FIGURE) == 481)
    WebDriverWait(dash_duo.driver, 30).until(lambda d: any(h.endswith(".png") for h in hits))
    z, x, y = hits[0].strip("/").removesuffix(".png").split("/")
    assert 3 <= int(z) <= 8 and int(x) >= 0 and int(y) >= 0
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []
