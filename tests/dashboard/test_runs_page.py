"""The pipeline-runs page shows failed runs and the yolo → motion fallback with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dash import Dash

from analytics.records import PipelineRun
from analytics.warehouse import Warehouse
from tests.dashboard.dash_http import call_callback, login

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def _run(run_id: str, camera: str, status: str, detector: str, warnings: tuple[str, ...] = (),
         errors: tuple[str, ...] = ()) -> PipelineRun:
    return PipelineRun(run_id=run_id, camera_id=camera, segment_start=T0, segment_end=T0 + timedelta(minutes=15),
                       started_at=T0, finished_at=T0 + timedelta(minutes=1), status=status, detector=detector,
                       frames_read=100, frames_detected=90, fps=50.0, warnings=warnings, errors=errors)


def _rows(client, status: str) -> tuple[list[dict], str]:  # type: ignore[no-untyped-def]
    code, out = call_callback(client, [("runs-table", "rowData"), ("runs-summary", "children")],
                              [("runs-status", "value", status)], [("runs-lang", "data", "vi")])
    assert code == 200
    return out["runs-table"]["rowData"], out["runs-summary"]["children"]


def test_runs_page_lists_fallbacks_and_failures(dash_app: Dash, demo_warehouse: Warehouse) -> None:
    demo_warehouse.upsert([
        _run("r1", "KG-VP-001", "ok", "motion", warnings=("yolo → motion: không có trọng số data/models/x.pt",)),
        _run("r2", "KG-VP-002", "failed", "yolo", errors=("clip.mp4: not a readable video",)),
        _run("r3", "KG-VP-003", "ok", "yolo+motion-gate"),
    ])
    client = login(dash_app.server, "admin")
    rows, summary = _rows(client, "all")
    by_id = {r["camera_id"]: r for r in rows}
    assert by_id["KG-VP-001"]["detector"] == "motion" and "không có trọng số" in by_id["KG-VP-001"]["warnings"]
    assert by_id["KG-VP-002"]["status"] == "failed" and "not a readable video" in by_id["KG-VP-002"]["errors"]
    assert by_id["KG-VP-001"]["time"] == "02/03/2026 08:30"
    assert "1 lỗi" in summary and "1 lượt phải dùng bộ phát hiện chuyển động" in summary
    failed, _ = _rows(client, "failed")
    assert [r["camera_id"] for r in failed] == ["KG-VP-002"]
    warned, _ = _rows(client, "warnings")
    assert [r["camera_id"] for r in warned] == ["KG-VP-001"]
