"""The composition root: start-up wiring, first-run demo preparation, clear start-up errors,
and a real server process answering over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from analytics import queries
from app import build
from settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_first_start_prepares_the_demo(config_file: Path) -> None:
    settings = load_settings(config_file)
    dash_app, scheduler, warehouse = build(settings)
    try:
        with warehouse.reader() as cur:
            counts = queries.table_counts(cur)
        assert counts["cameras"] == 481 and counts["sites"] == 111
        assert [job.id for job in scheduler.get_jobs()] == ["warehouse-checkpoint", "demo-pipelines"]
        assert "/map" in {page["path"] for page in __import__("dash").page_registry.values()}
        anonymous = dash_app.server.test_client().get("/map")
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
        assert (settings.storage.runtime_dir / "secret_key").stat().st_mode & 0o777 == 0o600
        with warehouse.reader() as cur:
            assert cur.execute("SELECT count(*) FROM areas").fetchone() == (6,)
    finally:
        warehouse.close()


def test_bad_config_stops_start_up_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("map:\n  tiles_url: not-a-url\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "app.py")], capture_output=True, text=True,
                            timeout=120, cwd=ROOT, env={**os.environ, "MATTHAN_CONFIG": str(bad)})
    assert result.returncode == 2
    assert "map.tiles_url" in result.stderr and "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_server_process_serves_and_stops_cleanly(config_file: Path) -> None:
    port = free_port()
    env = {**os.environ, "MATTHAN_CONFIG": str(config_file), "MATTHAN_SERVER__PORT": str(port),
           "MATTHAN_SCHEDULER__ENABLED": "true", "MATTHAN_LOGGING__LEVEL": "INFO",
           "MATTHAN_DEMO__PIPELINE_EVERY_S": "0"}  # the live demo pipelines are tested in test_demo_pipelines
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        body = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/map", timeout=5) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert "Đăng nhập" in body  # /map of a fresh install asks for sign-in
        # a second instance on the same warehouse refuses to start, with the reason
        second = subprocess.run([sys.executable, str(ROOT / "app.py")], cwd=ROOT, capture_output=True, text=True,
                                timeout=120, env={**env, "MATTHAN_SERVER__PORT": str(free_port())})
        assert second.returncode == 2
        assert "tiến trình khác" in second.stderr
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "stopped" in output
