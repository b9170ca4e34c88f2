"""Process one video file for one camera: the ``cli.py process`` job.

Contract: ``process_file(video, camera_id=..., ...)`` finds the scene config (explicit
path, ``<video>.scene.yaml``, or ``<scenes_dir>/<camera>.yaml``), the recording start
(explicit, the ``<video>.truth.json`` sidecar the simulator writes, or the file time),
builds the detector (falling back to motion with a warning), runs the segment, optionally
writes an annotated review video, and returns a ``JobSummary``. Problems the user must fix
(missing file, bad scene config, a scene that does not fit the video) raise
``VideoJobError`` naming the file and field; a video that cannot be decoded ends as a
``failed`` run instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analytics.scene_config import SceneConfig, SceneConfigError, load_scene_config
from pipelines.camera_pipeline import CameraPipeline, PipelineOptions
from pipelines.detector_factory import build_detector
from pipelines.frames import FeedError, VideoFileSource
from pipelines.plates import PlateReader
from pipelines.segment_runner import SegmentResult, run_segment
from pipelines.video_writer import H264File


class VideoJobError(ValueError):
    """The job cannot start; the message names the file or field to fix."""


@dataclass(frozen=True, kw_only=True, slots=True)
class JobSummary:
    result: SegmentResult
    scene_path: Path
    start: datetime
    detector: str


def find_scene(video: Path, camera_id: str, scene_path: Path | None, scenes_dir: Path) -> Path:
    if scene_path is not None:
        return scene_path
    candidates = [video.with_name(video.name.removesuffix(video.suffix) + ".scene.yaml"),
                  scenes_dir / f"{camera_id}.yaml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise VideoJobError(f"không có cấu hình cảnh cho {camera_id}: cần --scene hoặc một trong "
                        f"{', '.join(str(c) for c in candidates)}")


def recording_start(video: Path, start: str | None) -> datetime:
    if start:
        try:
            when = datetime.fromisoformat(start)
        except ValueError as exc:
            raise VideoJobError(f"--start: '{start}' không phải thời điểm ISO 8601") from exc
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    sidecar = video.with_name(video.name.removesuffix(video.suffix) + ".truth.json")
    if sidecar.is_file():
        try:
            return datetime.fromisoformat(json.loads(sidecar.read_text(encoding="utf-8"))["start_utc"]).astimezone(UTC)
        except (OSError, ValueError, KeyError) as exc:
            raise VideoJobError(f"{sidecar}: start_utc: {exc}") from exc
    if not video.exists():
        raise VideoJobError(f"{video}: không có tệp video")
    return datetime.fromtimestamp(os.path.getmtime(video), UTC)


def check_fits(config: SceneConfig, source: VideoFileSource, scene_path: Path) -> None:
    if (config.frame.width, config.frame.height) != (source.width, source.height):
        raise VideoJobError(f"{scene_path}: frame: cấu hình {config.frame.width}x{config.frame.height} không khớp "
                            f"video {source.width}x{source.height} ({source.path})")


def process_file(video: Path, *, camera_id: str, scene_path: Path | None = None, start: str | None = None,
                 detector: str | None = None, imgsz: int | None = None, annotate: Path | None = None,
                 evidence_root: Path | None, scenes_dir: Path, models_dir: Path, progress: bool = False,
                 read_plates: bool = True, options: PipelineOptions | None = None,
                 gating: bool | None = None, on_frame: Callable[..., None] | None = None) -> JobSummary:
    scene_file = find_scene(video, camera_id, scene_path, scenes_dir)
    try:
        config = load_scene_config(scene_file)
    except SceneConfigError as exc:
        raise VideoJobError(str(exc)) from exc
    started_at = recording_start(video, start)
    choice = build_detector(config, models_dir=models_dir, override=detector, imgsz=imgsz, gating=gating)
    fps = config.frame.fps
    try:
        probe = VideoFileSource(video, camera_id=camera_id, start_utc=started_at)
    except FeedError:
        probe = None  # the run records the failure with its reason
    if probe is not None:
        fps = probe.fps
        frames_total = probe.declared_frames
        try:
            check_fits(config, probe, scene_file)
        finally:
            probe.close()
    else:
        frames_total = 0
    opts = options or PipelineOptions(
        detect_every=max(1, round(fps / config.detector.detect_fps)) if config.detector.detect_fps else 1)
    pipeline = CameraPipeline(camera_id=camera_id, config=config, detector=choice.detector, gate=choice.gate, fps=fps,
                              plate_reader=PlateReader() if read_plates else None, evidence_root=evidence_root,
                              options=opts)
    writer = H264File(annotate, config.frame.width, config.frame.height, fps) if annotate is not None else None
    bar = _progress(frames_total) if progress else None
    seconds = frames_total / fps if fps else 0.0
    try:
        result = run_segment(
            lambda: VideoFileSource(video, camera_id=camera_id, start_utc=started_at), pipeline,
            segment_start=started_at, segment_end=started_at + timedelta(seconds=seconds),
            detector_used=choice.used, warnings=choice.warnings,
            annotate=writer.write if writer is not None else None,
            on_frame=_chain(on_frame, (lambda *_: bar.advance()) if bar is not None else None))
    finally:
        if writer is not None:
            if writer.frames:
                writer.close()
            else:
                writer.abort()
        if bar is not None:
            bar.stop()
    return JobSummary(result=result, scene_path=scene_file, start=started_at, detector=choice.used)


def _chain(*callbacks: Callable[..., None] | None) -> Callable[..., None] | None:
    active = [c for c in callbacks if c is not None]
    if not active:
        return None

    def call(*args: object) -> None:
        for callback in active:
            callback(*args)
    return call


class _progress:
    """A rich progress bar over the frames of the file."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                                  TimeRemainingColumn(), transient=False)
        self._task = self._progress.add_task("Đang xử lý", total=total or None)
        self._progress.start()

    def advance(self) -> None:
        self._progress.advance(self._task)

    def stop(self) -> None:
        self._progress.stop()
