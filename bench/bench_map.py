"""Map page cost: warehouse query + figure build + JSON size, for the demo registry (481
cameras) and for a registry 10× larger, measured in one run.

Run: .venv/bin/python bench/bench_map.py  → prints figures, writes bench/results/map.json
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import plotly.io as pio  # noqa: E402

from analytics import queries  # noqa: E402
from analytics.records import DataSource  # noqa: E402
from analytics.warehouse import Warehouse  # noqa: E402
from layers.geodata import GeoData  # noqa: E402
from layers.map_figure import MapText, camera_map_figure  # noqa: E402
from layers.registry_io import read_cameras, read_sites  # noqa: E402

TEXT = MapText(kind_labels={"violation": "Phạt nguội", "anpr": "Biển số", "security": "An ninh"},
               status_labels={"unknown": "Chưa kiểm tra"}, roads="Quốc lộ", sites="Điểm",
               hover_kind="Loại", hover_status="Trạng thái", hover_site="Điểm", hover_last_check="Kiểm tra")


def measure(warehouse: Warehouse, geodata: GeoData, repeats: int = 7) -> dict[str, float]:
    query_s, figure_s, sizes = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        with warehouse.reader() as cur:
            cams = queries.camera_map(cur, allowed=None)
            sites = queries.sites(cur, allowed=None)
        t1 = time.perf_counter()
        cams["last_check"] = ""
        fig = camera_map_figure(provinces=geodata.provinces("2025"), roads=geodata.roads(), sites=sites,
                                cameras=cams, color_by="kind", text=TEXT, context=geodata.vietnam_outline())
        payload = pio.to_json(fig)
        t2 = time.perf_counter()
        query_s.append(t1 - t0)
        figure_s.append(t2 - t1)
        sizes.append(len(payload))
    return {"cameras": float(len(cams)), "query_ms": statistics.median(query_s) * 1000,
            "figure_ms": statistics.median(figure_s) * 1000, "json_kb": sizes[-1] / 1024}


def main() -> None:
    geodata = GeoData(ROOT / "data" / "geo")
    geodata.provinces("2025"), geodata.roads(), geodata.vietnam_outline()
    sites = read_sites(ROOT / "data/registry/sites.csv", geodata, source=DataSource.DEMO)
    cams = read_cameras(ROOT / "data/registry/cameras.csv", geodata, {s.site_id for s in sites},
                        source=DataSource.DEMO)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        with Warehouse.open(Path(tmp) / "a.duckdb") as wh:
            wh.upsert(sites, cams)
            results["demo_481"] = measure(wh, geodata)
        with Warehouse.open(Path(tmp) / "b.duckdb") as wh:
            big = [replace(c, camera_id=f"{c.camera_id}-{k}", lon=c.lon + k * 1e-4) for k in range(10) for c in cams]
            wh.upsert(sites, big)
            results["x10_4810"] = measure(wh, geodata)
    results["ratio_figure_x10_vs_demo"] = results["x10_4810"]["figure_ms"] / results["demo_481"]["figure_ms"]
    for name, row in results.items():
        print(f"{name:>26}: {row}")
    out = ROOT / "bench" / "results" / "map.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine": platform.machine(), "python": platform.python_version(),
                               "results": results}, indent=2), encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
