"""Golden end-to-end runs on short rendered clips: `process` finds the injected violations,
writes evidence a browser plays, reads plates, re-processing upserts, and bad input ends
as a failed or partial run with the reason while what was stored stays."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import duckdb
import imageio_ffmpeg
import pytest
from typer.testing import CliRunner

from analytics.evidence_manifest import load_manifest
from analytics.scene_config import load_scene_config
from cli import app
from pipelines.counting import count_line
from pipelines.evidence import verify_evidence
from pipelines.truth_eval import TrackLog, load_truth, score
from pipelines.video_job import process_file
from simulator.clip import render_clip
from simulator.world import SimScene, load_sim_scene

ROOT = Path(__file__).resolve().parents[2]
SCENES = ROOT / "data" / "scenes" / "sim"
MODELS = ROOT / "data" / "models"
GOLDEN_SEED = 9103


def _busy(name: str) -> SimScene:
    scene = load_sim_scene(SCENES / f"{name}.yaml")
    data = scene.model_dump()
    data["violations"] = {k: min(1.0, v * 3) for k, v in data["violations"].items()}
    return SimScene.model_validate(data)


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("golden")
    clip = render_clip(_busy("nga_tu_rach_gia"), seconds=24, seed=GOLDEN_SEED, out_dir=out, name="golden")
    log = TrackLog()
    summary = process_file(clip.video, camera_id="KG-VP-001", evidence_root=out / "evidence", scenes_dir=out,
                           models_dir=MODELS, on_frame=log.on_frame)
    return clip, summary, log, out


@pytest.mark.slow
def test_golden_clip_finds_the_injected_violations(golden) -> None:  # type: ignore[no-untyped-def]
    clip, summary, log, _ = golden
    run = summary.result.run
    assert run.status == "ok" and run.detector == "yolo+motion-gate" and run.frames_read == clip.frames
    truth = load_truth(clip.truth)
    config = load_scene_config(clip.scene_config)
    # illegal_stop: the junction's no-stopping zone, where traffic waits at red (signal_holds)
    types = ["red_light", "stop_line", "wrong_way", "wrong_lane", "illegal_stop"]
    s = score(truth, [v for v in summary.result.violations if v.violation_type.value in types], log,
              counts_pred={}, count_line=count_line(config), types=types)
    tp = sum(t.tp for t in s.per_type.values())
    fp = sum(t.fp for t in s.per_type.values())
    fn = sum(t.fn for t in s.per_type.values())
    assert tp >= 3, (s.false_positives, s.misses)
    assert tp / (tp + fp) >= 0.75, s.false_positives
    assert tp / (tp + fn) >= 0.6, s.misses
    assert any("no_helmet" in w for w in run.warnings)  # reported unavailable, not silently off
    assert all(v.finding for v in summary.result.violations)  # what the rule measured, for the officer


@pytest.mark.slow
def test_a_480p_camera_finds_the_injected_violations_with_evidence_at_its_own_size(tmp_path: Path) -> None:
    data = _busy("nga_tu_rach_gia").model_dump()
    data["frame"] = {"width": 854, "height": 480, "fps": 25.0}  # a D1-class camera, off the codec's 16-px blocks
    clip = render_clip(SimScene.model_validate(data), seconds=24, seed=GOLDEN_SEED, out_dir=tmp_path, name="d1")
    log = TrackLog()
    summary = process_file(clip.video, camera_id="KG-VP-001", evidence_root=tmp_path / "evidence",
                           scenes_dir=tmp_path, models_dir=MODELS, on_frame=log.on_frame)
    assert summary.result.run.status == "ok" and summary.result.run.frames_read == clip.frames
    types = ["red_light", "stop_line", "wrong_way", "wrong_lane"]
    s = score(load_truth(clip.truth), [v for v in summary.result.violations if v.violation_type.value in types], log,
              counts_pred={}, count_line=count_line(load_scene_config(clip.scene_config)), types=types)
    tp, fp = sum(t.tp for t in s.per_type.values()), sum(t.fp for t in s.per_type.values())
    assert tp >= 3 and tp / (tp + fp) >= 0.75, (s.false_positives, s.misses)
    evidence = next(v for v in summary.result.violations if v.evidence_path)
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "evidence" / evidence.evidence_path / "clip.mp4"))
    assert next(reader)["size"] == (854, 480)  # the recording's own pictures, not rescaled
    reader.close()


@pytest.mark.slow
def test_evidence_plays_in_a_browser_and_detects_tampering(golden) -> None:  # type: ignore[no-untyped-def]
    _, summary, _, out = golden
    with_evidence = [v for v in summary.result.violations if v.evidence_path]
    assert with_evidence
    folder = out / "evidence" / with_evidence[0].evidence_path
    manifest = load_manifest(folder)
    names = {f.name for f in manifest.files}
    assert {"clip.mp4", "keyframe_1.jpg", "keyframe_2.jpg", "keyframe_3.jpg"} <= names
    assert verify_evidence(folder) == []
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(folder / "clip.mp4")],
                           capture_output=True, text=True)
    assert re.search(r"Video: h264.*yuv420p", probe.stderr), probe.stderr
    data = (folder / "clip.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: playable while downloading
    seconds = float(re.search(r"Duration: 00:00:(\d+\.\d+)", probe.stderr).group(1))  # type: ignore[union-attr]
    assert 2.0 <= seconds <= 7.0
    keyframe = folder / "keyframe_2.jpg"
    keyframe.write_bytes(keyframe.read_bytes()[:-10] + b"0123456789")
    assert any("keyframe_2.jpg" in p for p in verify_evidence(folder))
    assert not list((out / "evidence").rglob("*.partial*"))


@pytest.mark.slow
def test_plates_are_read_or_marked_for_review_never_invented(golden) -> None:  # type: ignore[no-untyped-def]
    clip, summary, log, _ = golden
    from pipelines.truth_eval import match_tracks

    truth = load_truth(clip.truth)
    vehicles = {v["track_id"]: v for v in truth["vehicles"]}
    mapping = match_tracks(truth, log)
    for v in summary.result.violations:
        if v.plate_text is None:
            assert v.plate_needs_review
            continue
        assert re.fullmatch(r"\d{2}[A-ZĐ]{1,2}\d?-[\d.]+( [\d.]+)?|\d{2}-[A-ZĐ]+\d [\d.]+", v.plate_text)
        vehicle = vehicles.get(mapping.get(v.track_id, -1))
        if vehicle and not v.plate_needs_review:
            assert v.plate_text == vehicle["plate"]  # a confident read is the right plate


def _cli(config_file: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["--config", str(config_file), *args])


def _rows(config_file: Path) -> dict[str, int]:
    db = config_file.parent / "runtime" / "warehouse.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                for t in ("violations", "count_bins", "pipeline_runs")}
    finally:
        con.close()


@pytest.mark.slow
def test_process_cli_is_idempotent_and_keeps_officer_decisions(config_file: Path, tmp_path: Path) -> None:
    clip = render_clip(_busy("cau_tan_de"), seconds=12, seed=9104, out_dir=tmp_path, name="bridge")
    first = _cli(config_file, "process", str(clip.video), "--camera", "TB-VP-001", "--detector", "motion")
    assert first.exit_code == 0, first.output
    assert "Lượt chạy" in first.output and "Đã ghi" in first.output
    before = _rows(config_file)
    assert before["pipeline_runs"] == 1 and before["count_bins"] > 0
    db = config_file.parent / "runtime" / "warehouse.duckdb"
    if before["violations"]:
        con = duckdb.connect(str(db))
        con.execute("UPDATE violations SET workflow_state = 'verified'")
        con.close()
    second = _cli(config_file, "process", str(clip.video), "--camera", "TB-VP-001", "--detector", "motion")
    assert second.exit_code == 0, second.output
    assert _rows(config_file) == before  # upserted, not duplicated
    con = duckdb.connect(str(db), read_only=True)
    states = {r[0] for r in con.execute("SELECT workflow_state FROM violations").fetchall()}
    con.close()
    assert states <= {"verified"}  # re-processing never resets an officer's decision


@pytest.mark.slow
@pytest.mark.parametrize(("name", "content", "reason"), [
    ("empty.mp4", b"", "empty"),
    ("garbage.mp4", b"\x00\x01not a video" * 500, "not a readable video"),
])
def test_bad_video_ends_as_a_failed_run_and_keeps_what_was_stored(config_file: Path, tmp_path: Path, name: str,
                                                                  content: bytes, reason: str) -> None:
    good = render_clip(_busy("cau_tan_de"), seconds=6, seed=9105, out_dir=tmp_path, name="good")
    assert _cli(config_file, "process", str(good.video), "--camera", "TB-VP-001", "--detector", "motion").exit_code == 0
    stored = _rows(config_file)
    bad = tmp_path / name
    bad.write_bytes(content)
    result = _cli(config_file, "process", str(bad), "--camera", "TB-VP-001", "--scene", str(good.scene_config),
                  "--start", "2026-03-02T02:00:00")
    assert result.exit_code == 1, result.output
    assert "failed" in result.output and reason in result.output
    after = _rows(config_file)
    assert after["violations"] == stored["violations"] and after["count_bins"] == stored["count_bins"]
    assert after["pipeline_runs"] == stored["pipeline_runs"] + 1  # the failed run is on record with its reason


@pytest.mark.slow
def test_truncated_video_is_a_partial_run(tmp_path: Path) -> None:
    clip = render_clip(_busy("cau_tan_de"), seconds=6, seed=9106, out_dir=tmp_path, name="cut")
    data = clip.video.read_bytes()
    clip.video.write_bytes(data[: len(data) // 2])
    summary = process_file(clip.video, camera_id="TB-VP-001", detector="motion", evidence_root=tmp_path / "ev",
                           scenes_dir=tmp_path, models_dir=MODELS, read_plates=False)
    run = summary.result.run
    assert run.status == "partial" and 0 < run.frames_read < clip.frames
    assert any("decoding stopped" in e for e in run.errors)


def test_scene_that_does_not_fit_the_video_is_rejected_with_the_field(config_file: Path, tmp_path: Path) -> None:
    clip = render_clip(_busy("cau_tan_de"), seconds=1, seed=1, out_dir=tmp_path, name="tiny")
    text = clip.scene_config.read_text(encoding="utf-8").replace("width: 1280", "width: 640", 1)
    bad_scene = tmp_path / "bad.scene.yaml"
    bad_scene.write_text(text, encoding="utf-8")
    result = _cli(config_file, "process", str(clip.video), "--camera", "TB-VP-001", "--scene", str(bad_scene))
    assert result.exit_code == 2
    assert "bad.scene.yaml" in result.output and "outside the 640x720 frame" in result.output


def test_missing_weights_fall_back_to_motion_with_a_warning(tmp_path: Path) -> None:
    clip = render_clip(_busy("cau_tan_de"), seconds=2, seed=2, out_dir=tmp_path, name="fallback")
    summary = process_file(clip.video, camera_id="TB-VP-001", detector="yolo", evidence_root=None,
                           scenes_dir=tmp_path, models_dir=tmp_path / "no-models", read_plates=False)
    run = summary.result.run
    assert run.status == "ok" and run.detector == "motion"
    assert any("yolo → motion" in w and "matthan-det.pt" in w for w in run.warnings)


@pytest.mark.slow
def test_a_vehicle_crossing_a_segment_boundary_keeps_its_track(tmp_path: Path) -> None:
    from datetime import timedelta

    from pipelines.camera_pipeline import CameraPipeline
    from pipelines.detector_factory import build_detector
    from pipelines.frames import VideoFileSource
    from pipelines.segment_runner import run_segment

    clip = render_clip(_busy("cau_tan_de"), seconds=8, seed=9107, out_dir=tmp_path, name="segments")
    config = load_scene_config(clip.scene_config)
    choice = build_detector(config, models_dir=MODELS, override="motion")
    pipeline = CameraPipeline(camera_id="TB-VP-001", config=config, detector=choice.detector, fps=25.0)
    start = load_truth(clip.truth)["start_utc"]
    from datetime import datetime

    t0 = datetime.fromisoformat(start)
    seen: dict[int, set[int]] = {}

    def segment(index: int, window: tuple[float, float]):  # type: ignore[no-untyped-def]
        return run_segment(lambda: VideoFileSource(clip.video, camera_id="TB-VP-001", start_utc=t0, window=window),
                           pipeline, segment_start=t0 + timedelta(seconds=window[0]),
                           segment_end=t0 + timedelta(seconds=window[1]), detector_used="motion",
                           close_after=index == 1,
                           on_frame=lambda f, obs, p: seen.setdefault(index, set()).update(o.track_id for o in obs))

    first, second = segment(0, (0.0, 4.0)), segment(1, (4.0, 8.0))
    assert first.run.run_id != second.run.run_id and first.run.status == second.run.status == "ok"
    assert seen[0] & seen[1]  # the same track ids continue into the next segment
