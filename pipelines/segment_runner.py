"""Run one segment of one camera end to end and account for it as a ``PipelineRun``.

Contract: ``run_segment(...)`` opens the source, feeds the camera's pipeline and returns
a ``SegmentResult`` — the violations (evidence written), cumulative count bins and a
``PipelineRun`` whose status is ``ok``, ``partial`` (the feed dropped or the file was
truncated: what was read is kept) or ``failed`` (nothing could be read; the reason is in
``errors``). It never raises for bad input: a corrupt, empty or unsupported video, an
unreachable stream or a decoder error ends the run with a clear reason, so the caller
(CLI, scheduler) keeps running. Nothing here opens the warehouse: the owner writes
the records in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from analytics.records import CountBin, PipelineRun, Violation
from pipelines.camera_pipeline import CameraPipeline
from pipelines.frames import FeedError, FrameSource

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class SegmentResult:
    run: PipelineRun
    violations: tuple[Violation, ...]
    count_bins: tuple[CountBin, ...]


def run_id_for(camera_id: str, segment_start: datetime) -> str:
    return hashlib.sha256(f"{camera_id}|{segment_start.isoformat()}".encode()).hexdigest()[:16]


def run_segment(open_source: Callable[[], FrameSource], pipeline: CameraPipeline, *, segment_start: datetime,
                segment_end: datetime, detector_used: str, warnings: tuple[str, ...] = (), close_after: bool = True,
                annotate: Callable | None = None, on_frame: Callable | None = None) -> SegmentResult:
    run_id = run_id_for(pipeline.camera_id, segment_start)
    pipeline.run_id = run_id
    started = datetime.now(UTC)
    clock = time.perf_counter()
    base = PipelineRun(run_id=run_id, camera_id=pipeline.camera_id, segment_start=segment_start,
                       segment_end=segment_end, started_at=started, finished_at=None, status="running",
                       detector=detector_used, warnings=warnings)
    violations: list[Violation] = []
    errors: list[str] = []
    source: FrameSource | None = None
    output = None
    try:
        source = open_source()
        output = pipeline.process(source, segment_start=segment_start, on_frame=on_frame, annotate=annotate)
        violations.extend(output.violations)
    except FeedError as exc:
        errors.append(str(exc))
    except Exception as exc:  # noqa: BLE001 — a bad segment must not take the process down
        log.exception("segment %s of %s failed", segment_start, pipeline.camera_id)
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        if source is not None:
            source.close()
    if close_after:
        try:
            violations.extend(pipeline.close())
        except Exception as exc:  # noqa: BLE001
            log.exception("closing the pipeline of %s failed", pipeline.camera_id)
            errors.append(f"{type(exc).__name__}: {exc}")
    stats = getattr(source, "stats", None)
    drops = list(stats.drops) if stats is not None else []
    truncated = bool(stats.truncated) if stats is not None else False
    frames_read = output.frames_read if output else (stats.frames if stats is not None else 0)
    frames_detected = output.frames_detected if output else 0
    if frames_read == 0:
        status = "failed"
        if not errors:
            errors.append("không đọc được khung hình nào (video rỗng hoặc không giải mã được)")
    elif errors or truncated:
        status = "partial"
        errors.extend(drops[-5:])
    else:
        status = "ok"
    elapsed = time.perf_counter() - clock
    all_warnings = tuple(dict.fromkeys([*warnings, *(output.warnings if output else ()), *pipeline.warnings]))
    run = replace(base, finished_at=datetime.now(UTC), status=status, frames_read=frames_read,
                  frames_detected=frames_detected, fps=round(frames_read / elapsed, 2) if elapsed > 0 else None,
                  warnings=all_warnings, errors=tuple(dict.fromkeys(errors)))
    bins = output.count_bins if output else pipeline.counter.bins()
    return SegmentResult(run=run, violations=tuple(violations), count_bins=bins)
