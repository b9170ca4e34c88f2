"""Live demo pipelines: one violation camera per simulator scene; each window rendered,
processed and written once (a second call, or a restart, skips it); a failing camera does not
stop the others."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.warehouse import Warehouse
from demo_pipelines import DemoFeed, DemoPipelineJob, demo_feeds, window_start
from pipelines.segment_runner import run_id_for

ROOT = Path(__file__).resolve().parent.parent
SIM_SCENES = ROOT / "data" / "scenes" / "sim"


def test_one_violation_camera_per_scene(demo_warehouse: Warehouse) -> None:
    feeds = demo_feeds(demo_warehouse, SIM_SCENES)
    # the street scene has no violation camera in the demo registry (streets carry security cameras)
    assert [f.scene_path.stem for f in feeds] == ["cau_tan_de", "nga_ba_thai_binh", "nga_tu_rach_gia"]
    assert len({f.camera_id for f in feeds}) == len(feeds)
    with demo_warehouse.reader() as cur:
        kinds = {cur.execute("SELECT kind FROM cameras WHERE camera_id = ?", [f.camera_id]).fetchone()[0]
                 for f in feeds}
    assert kinds == {"violation"}


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2026, 11, 29, 21, 5, 40, tzinfo=UTC), datetime(2026, 11, 29, 21, 5, tzinfo=UTC)),  # 21:05–21:05:30 ended
    (datetime(2026, 11, 29, 21, 5, 20, tzinfo=UTC), datetime(2026, 11, 29, 21, 0, tzinfo=UTC)),  # not yet: the one before
])
def test_the_last_window_that_has_ended(now: datetime, expected: datetime) -> None:
    assert window_start(now, 300, 30) == expected


@pytest.mark.slow
def test_a_window_is_processed_written_once_and_a_broken_camera_does_not_stop_the_others(
        demo_warehouse: Warehouse, tmp_path: Path) -> None:
    feed = next(f for f in demo_feeds(demo_warehouse, SIM_SCENES) if f.scene_path.stem == "nga_tu_rach_gia")
    broken = DemoFeed(camera_id="KG-BROKEN", scene_path=tmp_path / "missing.yaml")
    job = DemoPipelineJob(demo_warehouse, (broken, feed), every_s=60, seconds=4, evidence_root=tmp_path / "evidence",
                          models_dir=ROOT / "data" / "models", scenes_dir=tmp_path)
    now = datetime(2026, 11, 29, 21, 5, 40, tzinfo=UTC)
    (run,) = job(now)
    start = datetime(2026, 11, 29, 21, 5, tzinfo=UTC)
    assert (run.camera_id, run.segment_start, run.status) == (feed.camera_id, start, "ok")
    assert run.frames_read == 100 and run.detector.startswith("yolo")
    with demo_warehouse.reader() as cur:
        assert cur.execute("SELECT status, frames_read FROM pipeline_runs WHERE run_id = ?",
                           [run_id_for(feed.camera_id, start)]).fetchone() == ("ok", 100)
        bins = cur.execute("SELECT sum(count) FROM count_bins WHERE camera_id = ? AND bin_start = ?",
                           [feed.camera_id, start.replace(minute=0)]).fetchone()[0]
    assert bins and bins > 0  # 4 s of a busy junction
    assert job(now) == []  # already written: skipped


def test_a_stopped_job_processes_nothing_more(demo_warehouse: Warehouse, tmp_path: Path) -> None:
    job = DemoPipelineJob(demo_warehouse, demo_feeds(demo_warehouse, SIM_SCENES), every_s=60, seconds=4,
                          evidence_root=tmp_path / "evidence", models_dir=ROOT / "data" / "models",
                          scenes_dir=tmp_path)
    job.stop()
    assert job(datetime(2026, 11, 29, 21, 5, 40, tzinfo=UTC)) == []
