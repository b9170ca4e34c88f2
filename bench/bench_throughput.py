"""Pipeline throughput on one 60 s 1280×720 25 fps clip, every configuration in one run.

Figures: decode-only fps (the physical limit here: H.264 decoded, not converted to BGR —
the pipeline converts only the frames it looks at), the same with every frame converted
(``decode_bgr``), then the full pipeline (detect, track,
rules, plates, evidence; models loaded and warmed up before timing, as in a running
worker) with ``motion``, ``yolo`` at 320 and 640 without gating,
``yolo`` 640 (the default) with motion gating, and the same with detection at 5 fps (also at
480). Each is given as a ratio to decode-only and as "cameras in real time on this machine" =
pipeline fps ÷ 25. Last, the default deployment: a pool of one single-threaded worker per core
(``pipelines.worker.init_worker``), each running ``yolo`` + gating at 5 detections/s on its own
camera, at 640 (default) and at 480, and at 640 without gating (detection on exactly every
fifth frame, moving road or not); its figure is the sum over the workers (frames of all
cameras ÷ wall time).

Run: .venv/bin/python bench/bench_throughput.py → prints, writes bench/results/throughput.json
``--size 1920x1080`` renders the clip at another frame size (same scene and traffic) and
writes ``throughput_<size>.json``; ``--pool-only`` skips the single-process configurations.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.model_training import offline_ultralytics  # noqa: E402

offline_ultralytics(ROOT / "data" / "runtime" / "ultralytics")

from bench.provenance import code_fingerprint, commit  # noqa: E402
from pipelines.camera_pipeline import PipelineOptions  # noqa: E402
from pipelines.frames import VideoFileSource  # noqa: E402
from pipelines.video_job import process_file  # noqa: E402
from pipelines.worker import init_worker  # noqa: E402
from simulator.clip import render_clip  # noqa: E402
from simulator.world import SimScene, load_sim_scene  # noqa: E402

CAMERA_FPS = 25.0
CONFIGS = [
    ("motion", {"detector": "motion"}),
    ("yolo_320", {"detector": "yolo", "imgsz": 320, "gating": False}),
    ("yolo_640", {"detector": "yolo", "imgsz": 640, "gating": False}),
    ("yolo_640_gated", {"detector": "yolo", "imgsz": 640, "gating": True}),
    ("yolo_640_gated_5fps", {"detector": "yolo", "imgsz": 640, "gating": True, "detect_every": 5}),
    ("yolo_480_gated_5fps", {"detector": "yolo", "imgsz": 480, "gating": True, "detect_every": 5}),
]
POOL_RUNS = ((640, True), (480, True), (640, False))  # (image size, motion gating): the default first


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1280x720", help="frame size WxH of the rendered clip")
    parser.add_argument("--pool-only", action="store_true", help="decode-only and the pool runs only")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    seconds = float(os.environ.get("BENCH_SECONDS", "60"))
    scene = load_sim_scene(ROOT / "data" / "scenes" / "sim" / "nga_tu_rach_gia.yaml")
    if (width, height) != (scene.frame.width, scene.frame.height):
        data = scene.model_dump()
        data["frame"] = {**data["frame"], "width": width, "height": height}
        scene = SimScene.model_validate(data)
    rows: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory(prefix="matthan-tp-") as tmp:
        clip = render_clip(scene, seconds=seconds, seed=4242, out_dir=Path(tmp), name="tp")
        warm = render_clip(scene, seconds=2, seed=4243, out_dir=Path(tmp), name="warm")
        started = time.perf_counter()
        source = VideoFileSource(clip.video, camera_id="BENCH", start_utc=datetime(2026, 3, 2, tzinfo=UTC))
        frames = sum(1 for _ in source)
        source.close()
        decode_fps = frames / (time.perf_counter() - started)
        rows["decode_only"] = {"fps": round(decode_fps, 1), "ratio_to_decode": 1.0,
                               "cameras_realtime": round(decode_fps / CAMERA_FPS, 2)}
        print(f"decode only            {decode_fps:7.1f} fps  ({decode_fps / CAMERA_FPS:5.2f} cameras)", flush=True)
        started = time.perf_counter()
        source = VideoFileSource(clip.video, camera_id="BENCH", start_utc=datetime(2026, 3, 2, tzinfo=UTC))
        frames = sum(1 for frame in source if frame.image is not None)
        source.close()
        bgr_fps = frames / (time.perf_counter() - started)
        rows["decode_bgr"] = {"fps": round(bgr_fps, 1), "ratio_to_decode": round(bgr_fps / decode_fps, 3),
                              "cameras_realtime": round(bgr_fps / CAMERA_FPS, 2)}
        print(f"decode + BGR           {bgr_fps:7.1f} fps  ({bgr_fps / CAMERA_FPS:5.2f} cameras)", flush=True)
        for name, cfg in [] if args.pool_only else CONFIGS:
            opts = PipelineOptions(detect_every=int(cfg.get("detect_every", 1)))
            # a camera's worker keeps its model loaded: load and warm it up outside the timing
            process_file(warm.video, camera_id="WARM", detector=str(cfg["detector"]), imgsz=cfg.get("imgsz"),  # type: ignore[arg-type]
                         gating=cfg.get("gating"), evidence_root=None, scenes_dir=Path(tmp),  # type: ignore[arg-type]
                         models_dir=ROOT / "data" / "models", options=opts)
            started = time.perf_counter()
            summary = process_file(clip.video, camera_id="BENCH", detector=str(cfg["detector"]),
                                   imgsz=cfg.get("imgsz"), gating=cfg.get("gating"),  # type: ignore[arg-type]
                                   evidence_root=Path(tmp) / "evidence", scenes_dir=Path(tmp),
                                   models_dir=ROOT / "data" / "models", options=opts)
            elapsed = time.perf_counter() - started
            run = summary.result.run
            fps = run.frames_read / elapsed
            rows[name] = {"fps": round(fps, 1), "ratio_to_decode": round(fps / decode_fps, 3),
                          "cameras_realtime": round(fps / CAMERA_FPS, 2), "detector": run.detector,
                          "frames_detected": run.frames_detected, "detection_fps_per_camera":
                          round(run.frames_detected / seconds, 1), "violations": len(summary.result.violations)}
            print(f"{name:<22} {fps:7.1f} fps  ({fps / CAMERA_FPS:5.2f} cameras, {fps / decode_fps:.2f}× decode, "
                  f"{run.frames_detected / seconds:.1f} detections/s, detector {run.detector})", flush=True)
        for imgsz, gating in POOL_RUNS:
            rows[_pool_name(imgsz, gating)] = _pool(warm.video, clip.video, tmp, imgsz, gating, decode_fps, seconds)
    name = "throughput.json" if (width, height) == (1280, 720) else f"throughput_{width}x{height}.json"
    out = ROOT / "bench" / "results" / name
    out.write_text(json.dumps({"measured_at": datetime.now(UTC).isoformat(), "commit": commit(ROOT),
                               "code": code_fingerprint(ROOT), "machine": platform.machine(),
                               "cpus": os.cpu_count(), "clip": f"{seconds:.0f} s {width}x{height} @ {CAMERA_FPS:.0f} fps",
                               "results": rows}, indent=2))
    print(f"→ {out}")


def _pool_name(imgsz: int, gating: bool) -> str:
    return f"pool_yolo_{imgsz}{'_gated' if gating else ''}_5fps"


def _pool(warm: Path, video: Path, tmp: str, imgsz: int, gating: bool, decode_fps: float,
          seconds: float) -> dict[str, float | str]:
    """One worker per core, each on its own copy of the camera."""
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_setup,
                             initargs=(str(warm), tmp, imgsz, gating)) as pool:
        list(pool.map(_noop, range(workers)))  # every worker set up and warmed before timing
        started = time.perf_counter()
        results = list(pool.map(_pool_job, [(str(video), tmp, i, imgsz, gating) for i in range(workers)]))
    elapsed = time.perf_counter() - started
    fps = sum(r[0] for r in results) / elapsed
    name = _pool_name(imgsz, gating)
    print(f"{name:<22} {fps:7.1f} fps  ({fps / CAMERA_FPS:5.2f} cameras with {workers} "
          f"workers × 1 thread, {fps / decode_fps:.2f}× decode)", flush=True)
    return {"fps": round(fps, 1), "ratio_to_decode": round(fps / decode_fps, 3),
            "cameras_realtime": round(fps / CAMERA_FPS, 2), "workers": workers, "torch_threads_per_worker": 1,
            "imgsz": imgsz, "motion_gating": gating, "detector": results[0][1],
            "detection_fps_per_camera": round(sum(r[2] for r in results) / len(results) / seconds, 1),
            "violations": sum(r[3] for r in results)}


POOL_OPTIONS = PipelineOptions(detect_every=5)


def _pool_kwargs(tmp: str, camera_id: str, imgsz: int, gating: bool) -> dict[str, object]:
    return {"camera_id": camera_id, "detector": "yolo", "imgsz": imgsz, "gating": gating, "scenes_dir": Path(tmp),
            "models_dir": ROOT / "data" / "models", "options": POOL_OPTIONS}


def _worker_setup(warm_video: str, tmp: str, imgsz: int, gating: bool) -> None:
    offline_ultralytics(ROOT / "data" / "runtime" / "ultralytics")
    init_worker(1)
    process_file(Path(warm_video), evidence_root=None,
                 **_pool_kwargs(tmp, "WARM", imgsz, gating))  # type: ignore[arg-type]


def _noop(_: int) -> None:
    time.sleep(0.5)  # lets every worker start (and warm up) before the timed jobs


def _pool_job(args: tuple[str, str, int, int, bool]) -> tuple[int, str, int, int]:
    video, tmp, n, imgsz, gating = args
    summary = process_file(Path(video), evidence_root=Path(tmp) / f"evidence-{n}",
                           **_pool_kwargs(tmp, "BENCH", imgsz, gating))  # type: ignore[arg-type]
    run = summary.result.run
    return run.frames_read, run.detector, run.frames_detected, len(summary.result.violations)


if __name__ == "__main__":
    main()
