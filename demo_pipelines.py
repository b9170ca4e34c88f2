"""Live pipelines on the embedded demo: the scheduled job that makes ``make run`` process
camera video the way a deployment does.

Contract: ``demo_feeds(warehouse, scenes_dir)`` picks one demo violation camera per
simulator scene — the first by id whose site looks like it (``bootstrap.scene_for_site``, the
choice the demo history's evidence uses). ``DemoPipelineJob`` (called by APScheduler every
``every_s``) takes, for each feed, the last whole window ``[start, start + seconds)`` with
``start`` on a multiple of ``every_s``; renders that camera's recording of the window with the
simulator (the demo's stand-in for the camera's NVR); runs the whole pipeline on it
(detection, tracking, rules, plates, evidence); and writes the violations, count bins and the
``pipeline_runs`` row in one transaction. A window already in ``pipeline_runs`` is skipped:
a restart or a killed process redoes only what was not written, and violation ids are
deterministic. A recording that cannot be decoded ends as a failed run (as every pipeline run
does); a camera whose recording cannot be made is logged and left for its next window; the
others go on. The video stack (cv2, ultralytics, the renderer) is imported on the first run,
not at start-up.

This module is part of the composition root (it joins ``simulator``, ``pipelines`` and the
warehouse, which those folders may not import from each other).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analytics.records import PipelineRun
from analytics.warehouse import Warehouse
from bootstrap import scene_for_site

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoFeed:
    camera_id: str
    scene_path: Path  # the simulator scene its recording is rendered from


def demo_feeds(warehouse: Warehouse, scenes_dir: Path) -> tuple[DemoFeed, ...]:
    """One demo violation camera per simulator scene (the first by id whose site looks like it)."""
    scenes = {p.stem: p for p in sorted(scenes_dir.glob("*.yaml"))}
    with warehouse.reader() as cur:
        rows = cur.execute("SELECT c.camera_id, s.kind FROM cameras c JOIN sites s USING (site_id) "
                           "WHERE c.source = 'demo' AND c.kind = 'violation' ORDER BY c.camera_id").fetchall()
    feeds: dict[str, DemoFeed] = {}
    for camera_id, site_kind in rows:
        scene = scene_for_site(site_kind, camera_id)
        if scene in scenes:
            feeds.setdefault(scene, DemoFeed(camera_id=camera_id, scene_path=scenes[scene]))
    return tuple(feeds[name] for name in sorted(feeds))


def window_start(now: datetime, every_s: int, seconds: int) -> datetime:
    """Start of the last window ``[start, start + seconds)`` that has ended by ``now``."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    start = epoch + timedelta(seconds=int((now - epoch).total_seconds()) // every_s * every_s)
    return start if start + timedelta(seconds=seconds) <= now else start - timedelta(seconds=every_s)


class DemoPipelineJob:
    """The scheduled job; see the module docstring."""

    def __init__(self, warehouse: Warehouse, feeds: tuple[DemoFeed, ...], *, every_s: int, seconds: int,
                 evidence_root: Path, models_dir: Path, scenes_dir: Path) -> None:
        self._warehouse = warehouse
        self._feeds = feeds
        self._every_s = every_s
        self._seconds = seconds
        self._evidence_root = evidence_root
        self._models_dir = models_dir
        self._scenes_dir = scenes_dir
        self._stopping = threading.Event()

    def stop(self) -> None:
        """End a running call after the camera in hand (its window is written whole)."""
        self._stopping.set()

    def __call__(self, now: datetime | None = None) -> list[PipelineRun]:
        start = window_start(now or datetime.now(UTC), self._every_s, self._seconds)
        runs = []
        for feed in self._feeds:
            if self._stopping.is_set():
                break
            if self._already_processed(feed.camera_id, start):
                continue
            run = self._process(feed, start)
            if run is not None:
                runs.append(run)
        return runs

    def _already_processed(self, camera_id: str, start: datetime) -> bool:
        from pipelines.segment_runner import run_id_for

        with self._warehouse.reader() as cur:
            return cur.execute("SELECT count(*) FROM pipeline_runs WHERE run_id = ?",
                               [run_id_for(camera_id, start)]).fetchone()[0] > 0

    def _process(self, feed: DemoFeed, start: datetime) -> PipelineRun | None:
        from pipelines.video_job import VideoJobError, process_file
        from simulator.clip import render_clip
        from simulator.world import load_sim_scene

        work = Path(tempfile.mkdtemp(prefix="matthan-demo-"))
        try:
            scene = load_sim_scene(feed.scene_path)
            seed = zlib.crc32(f"{feed.camera_id}|{start.isoformat()}".encode())
            clip = render_clip(scene, seconds=self._seconds, seed=seed, out_dir=work, name="recording",
                               start_utc=start, camera_id=feed.camera_id)
            summary = process_file(clip.video, camera_id=feed.camera_id, scene_path=clip.scene_config,
                                   start=start.isoformat(), evidence_root=self._evidence_root,
                                   scenes_dir=self._scenes_dir, models_dir=self._models_dir)
        except (VideoJobError, OSError, ValueError) as exc:
            log.error("demo pipeline for %s at %s: %s", feed.camera_id, start.isoformat(), exc)
            return None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        result = summary.result
        self._warehouse.upsert(result.violations, result.count_bins, [result.run])
        log.info("demo pipeline %s %s: %s, %d frames, %d violations", feed.camera_id, start.isoformat(),
                 result.run.status, result.run.frames_read, len(result.violations))
        return result.run
