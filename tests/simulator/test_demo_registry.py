from __future__ import annotations

import filecmp
from collections import Counter
from pathlib import Path

from simulator.demo_registry import build_demo_registry, write_demo_registry
from tests.conftest import GEO_DIR, REGISTRY_DIR


def test_shipped_registry_is_exactly_reproducible(tmp_path: Path) -> None:
    write_demo_registry(build_demo_registry(GEO_DIR), tmp_path)
    for name in ("sites.csv", "cameras.csv"):
        assert filecmp.cmp(tmp_path / name, REGISTRY_DIR / name, shallow=False), name


def test_counts_mirror_kien_giang_and_thai_binh() -> None:
    registry = build_demo_registry(GEO_DIR)
    per = Counter((c.site.province.key, c.kind) for c in registry.cameras)
    assert sum(n for (p, _), n in per.items() if p == "KG") == 353
    assert per[("KG", "violation")] == 36
    assert sum(n for (p, _), n in per.items() if p == "TB") == 128
    ids = [c.camera_id for c in registry.cameras]
    assert len(ids) == len(set(ids))


def test_violation_cameras_face_their_intersection() -> None:
    registry = build_demo_registry(GEO_DIR)
    for cam in registry.cameras:
        if cam.kind == "violation" and cam.site.kind == "intersection":
            # the camera stands upstream on its approach and looks back at the centre
            dx, dy = cam.site.lon - cam.lon, cam.site.lat - cam.lat
            assert abs(dx) + abs(dy) > 0
            if abs(dy) > abs(dx):
                assert cam.heading_deg in (0.0, 180.0) and (dy > 0) == (cam.heading_deg == 0.0)


def test_other_seed_changes_placement_only() -> None:
    a, b = build_demo_registry(GEO_DIR, seed=1), build_demo_registry(GEO_DIR, seed=2)
    assert [c.camera_id for c in a.cameras] == [c.camera_id for c in b.cameras]
    assert [(c.lon, c.lat) for c in a.cameras] != [(c.lon, c.lat) for c in b.cameras]
