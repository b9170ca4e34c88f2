"""Shared fixtures: project paths, geodata, temp warehouses and settings, Chromium options."""

from __future__ import annotations

import socketserver
import subprocess
import sys
import threading
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from analytics import queries
from analytics.warehouse import Warehouse
from layers.registry_io import read_scopes
from bootstrap import import_registry
from layers.geodata import GeoData
from analytics.records import DataSource

ROOT = Path(__file__).resolve().parent.parent
GEO_DIR = ROOT / "data" / "geo"
REGISTRY_DIR = ROOT / "data" / "registry"


def pytest_setup_options():  # dash.testing hook: options for the Chromium it starts
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1400,900",
                "--enable-unsafe-swiftshader"):  # software WebGL for the MapLibre (tiles) view
        options.add_argument(arg)
    return options


@pytest.fixture(scope="session")
def geodata() -> GeoData:
    return GeoData(GEO_DIR)


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    wh = Warehouse.open(tmp_path / "runtime" / "warehouse.duckdb")
    yield wh
    wh.close()


@pytest.fixture
def demo_warehouse(warehouse: Warehouse, geodata: GeoData) -> Warehouse:
    """A warehouse holding the shipped demo registry (111 sites, 481 cameras)."""
    import_registry(warehouse, geodata, sites_file=REGISTRY_DIR / "sites.csv",
                    cameras_file=REGISTRY_DIR / "cameras.csv", source=DataSource.DEMO)
    with warehouse.reader() as cur:
        cameras = set(queries.cameras_table(cur)["camera_id"])
        sites = queries.site_ids(cur)
    scopes = read_scopes(REGISTRY_DIR, geodata, known_sites=sites, known_cameras=cameras)
    warehouse.upsert(scopes.areas, scopes.site_areas, scopes.groups, scopes.members)
    return warehouse


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A config.yaml whose runtime dir lives in the test's temp folder."""
    path = tmp_path / "config.yaml"
    path.write_text(
        f"storage:\n  runtime_dir: {tmp_path / 'runtime'}\n"
        "scheduler:\n  enabled: false\n"
        "demo:\n  history_days: 3\n"
        "logging:\n  level: WARNING\n",
        encoding="utf-8",
    )
    return path


@contextmanager
def warehouse_held_by_another_process(path: Path) -> Iterator[None]:
    """Another Python process opens the warehouse at ``path`` and keeps it until exit."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(ROOT)!r})
            from analytics.warehouse import Warehouse
            w = Warehouse.open({str(path)!r})
            print("ready", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield
    finally:
        holder.communicate("\n", timeout=30)


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[str]:
    """Run an HTTP server on a background thread; yields its http://127.0.0.1:PORT base."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
