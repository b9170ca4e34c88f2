"""Simulator speed, measured in one run on this machine:
- render: frames per second at 1280×720 (draw only, and draw + H.264 encode) vs real time;
- virtual cameras: JPEG snapshots per second over real HTTP across all 481 registry cameras;
- demo prepare: seconds to simulate and write 180 days of history for the whole registry.

Run: .venv/bin/python bench/bench_simulator.py → prints, writes bench/results/simulator.json
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.records import DataSource  # noqa: E402
from analytics.warehouse import Warehouse  # noqa: E402
from bootstrap import import_registry, prepare_history  # noqa: E402
from layers.geodata import GeoData  # noqa: E402
from simulator.camera_server import VirtualCameraServer, build_farm  # noqa: E402
from simulator.clip import render_clip  # noqa: E402
from simulator.render import Renderer  # noqa: E402
from simulator.traffic import TrafficSim  # noqa: E402
from simulator.world import load_sim_scene  # noqa: E402

SCENES = ROOT / "data" / "scenes" / "sim"


def bench_render(seconds: float = 10.0) -> dict[str, float]:
    scene = load_sim_scene(SCENES / "nga_tu_rach_gia.yaml")
    sim, renderer = TrafficSim(scene, 1), Renderer(scene, 1)
    frames = int(seconds * scene.frame.fps)
    started = time.perf_counter()
    for i in range(frames):
        renderer.draw(sim, datetime(2026, 1, 1, tzinfo=UTC), sim.frame)
        sim.step()
    draw_fps = frames / (time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as tmp:
        result = render_clip(scene, seconds=seconds, seed=1, out_dir=Path(tmp))
    return {"camera_fps": scene.frame.fps, "draw_fps": draw_fps, "draw_x_realtime": draw_fps / scene.frame.fps,
            "draw_encode_fps": result.render_fps, "draw_encode_x_realtime": result.render_fps / scene.frame.fps}


def bench_cameras(requests: int = 2000) -> dict[str, float]:
    farm = build_farm(ROOT / "data" / "registry" / "cameras.csv", SCENES)
    server = VirtualCameraServer(("127.0.0.1", 0), farm)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    ids = list(farm.specs)

    def fetch(i: int) -> int:
        with urllib.request.urlopen(f"{base}/cameras/{ids[i % len(ids)]}/snapshot.jpg", timeout=10) as r:
            return len(r.read())

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        sizes = list(pool.map(fetch, range(requests)))
    elapsed = time.perf_counter() - started
    server.shutdown()
    needed = len(ids) / 10.0  # one snapshot per camera every 10 s
    return {"cameras": float(len(ids)), "snapshots_per_s": requests / elapsed, "needed_per_s": needed,
            "headroom": requests / elapsed / needed, "mean_jpeg_kb": sum(sizes) / len(sizes) / 1024}


def bench_demo(days: int = 180) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        geodata = GeoData(ROOT / "data" / "geo")
        with Warehouse.open(Path(tmp) / "w.duckdb") as wh:
            import_registry(wh, geodata, sites_file=ROOT / "data/registry/sites.csv",
                            cameras_file=ROOT / "data/registry/cameras.csv", source=DataSource.DEMO)
            started = time.perf_counter()
            first = prepare_history(wh, days=days)
            first_s = time.perf_counter() - started
            started = time.perf_counter()
            second = prepare_history(wh, days=days)
            second_s = time.perf_counter() - started
    return {"days": float(days), "first_run_s": first_s, "second_run_s": second_s,
            "second_added_rows": float(second.count_bins + second.violations), "count_bins": float(first.count_bins),
            "violations": float(first.violations), "camera_checks": float(first.camera_checks)}


def main() -> None:
    results = {"render_1280x720": bench_render(), "virtual_cameras": bench_cameras(), "demo_prepare": bench_demo()}
    for name, row in results.items():
        print(f"{name}: " + ", ".join(f"{k}={v:.2f}" for k, v in row.items()))
    out = ROOT / "bench" / "results" / "simulator.json"
    out.write_text(json.dumps({"measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine": platform.machine(), "results": results}, indent=2), encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
