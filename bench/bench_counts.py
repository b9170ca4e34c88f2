"""15-minute traffic counts against simulator ground truth: the figure a planner reads.

For each shipped scene geometry × condition (those of ``bench_accuracy``), ``--minutes`` (default 15) of ordinary traffic
(violation rates as configured, not boosted as on the accuracy bench) are rendered with a
fresh seed so that the scored stretch is exactly one 15-minute bin of the pipeline's
``count_bins`` (from ``simulator.clip.DEFAULT_START``, 08:30 in Vietnam), with ``--head``
seconds before it and ``--tail`` after, as a camera that runs on. The full pipeline (detector
as configured, tracker, counting; no plates or evidence, which do not change a count) runs
through all of it; its count for that bin, per class over every movement, is compared with
the truth vehicles whose ground-contact point crossed the same count line in that bin
(``truth_eval.truth_count_bins``).

Run: .venv/bin/python bench/bench_counts.py [--minutes 15] [--scenes a,b] [--conditions day,night] [--seed 9101]
[--jobs 2] (clips measured side by side, one single-threaded process each: ``pipelines.worker``)
[--add] (these clips into the results file already there, e.g. the night clips after the day ones:
same minutes, head, tail and seed, and the same code — ``provenance.added_clips``)
[--renders DIR] (keep the rendered clips there and reuse them: ``render_cache``; ≈0.3 GB a clip)
[--render-only] (only fill --renders, e.g. while the pipeline is still being changed)
→ prints each clip, then per class over all clips: counted, truth, error; writes
bench/results/counts_<detector>.json (with the commit and a fingerprint of the measured code).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.model_training import offline_ultralytics  # noqa: E402

offline_ultralytics(ROOT / "data" / "runtime" / "ultralytics")

from analytics.scene_config import load_scene_config  # noqa: E402
from bench.bench_accuracy import variant  # noqa: E402  (the same conditions, violation rates not boosted)
from bench.provenance import added_clips, code_fingerprint, commit  # noqa: E402
from bench.render_cache import cached_render, simulator_code  # noqa: E402
from pipelines.counting import count_line  # noqa: E402
from pipelines.truth_eval import load_truth, truth_count_bins  # noqa: E402
from pipelines.video_job import process_file  # noqa: E402
from pipelines.worker import init_worker  # noqa: E402
from simulator.clip import DEFAULT_START, ClipResult  # noqa: E402
from simulator.world import SimScene, load_sim_scene  # noqa: E402

SCENES = ROOT / "data" / "scenes" / "sim"
DEFAULT_SEED = 9101
HEAD_S = 4.0
TAIL_S = 8.0


def _render(scene: SimScene, condition: str, *, seed: int, seconds: float, start_utc: datetime,
            renders: Path | None, work: Path) -> tuple[ClipResult, bool]:
    """The clip of ``scene`` under ``condition`` (ordinary violation rates), and whether it was kept already."""
    return cached_render(variant(scene, condition, boost=1.0), seconds=seconds, seed=seed, start_utc=start_utc,
                         name=f"{scene.name}_{condition}_{seed}", simulator=simulator_code(ROOT), cache=renders,
                         fallback=work)


def measure(scene: SimScene, condition: str, *, seed: int, minutes: float, head_s: float, tail_s: float,
            detector: str, work: Path, models: Path, renders: Path | None = None) -> dict:
    """Render (or take from ``renders``: ``render_cache``) and run one clip; its row: per class
    the pipeline's count and the truth in the bin."""
    bin_start = DEFAULT_START
    clip, reused = _render(scene, condition, seed=seed, seconds=head_s + 60 * minutes + tail_s,
                           start_utc=bin_start - timedelta(seconds=head_s), renders=renders, work=work)
    started = time.perf_counter()
    summary = process_file(clip.video, camera_id="BENCH", detector=detector, evidence_root=None,
                           scenes_dir=ROOT / "data" / "scenes" / "cameras", models_dir=models, read_plates=False)
    elapsed = time.perf_counter() - started
    result = summary.result
    counted: Counter[str] = Counter()
    for b in result.count_bins:
        if b.bin_start == bin_start:
            counted[b.vehicle_class] += b.count
    truth_bins = truth_count_bins(load_truth(clip.truth), count_line(load_scene_config(clip.scene_config)))
    truth = Counter({cls: n for (start, cls), n in truth_bins.items() if start == bin_start})
    if renders is None:
        clip.video.unlink(missing_ok=True)  # 15 minutes of video: ≈0.3 GB a clip
    return {"scene": scene.name, "condition": condition, "seed": seed, "status": result.run.status,
            "detector": result.run.detector, "frames": result.run.frames_read, "seconds": round(elapsed, 1),
            "render_reused": reused,
            "bin_start_utc": bin_start.isoformat(), "counted": dict(counted), "truth": dict(truth)}


def prerender(scene: SimScene, condition: str, *, seed: int, minutes: float, head_s: float, tail_s: float,
              renders: Path, work: Path) -> str:
    """Render one clip into ``renders`` as ``measure`` would take it from there; a line saying so."""
    _, reused = _render(scene, condition, seed=seed, seconds=head_s + 60 * minutes + tail_s,
                        start_utc=DEFAULT_START - timedelta(seconds=head_s), renders=renders, work=work)
    return f"{scene.name:<18} {condition:<6} {'kept already' if reused else 'rendered'}"


def summarise(rows: list[dict]) -> dict:
    """Per class over all clips: counted, truth, the error of the sum, and the largest error of
    one clip's bin (each bin is what a planner reads)."""
    counted: Counter[str] = Counter()
    truth: Counter[str] = Counter()
    worst: dict[str, float] = {}
    for row in rows:
        counted.update(row["counted"])
        truth.update(row["truth"])
        for cls, n in row["truth"].items():
            if n:
                worst[cls] = max(worst.get(cls, 0.0), abs(row["counted"].get(cls, 0) - n) / n)
    classes = sorted(set(truth) | set(counted))
    return {cls: {"counted": counted[cls], "truth": truth[cls],
                  "error": round(abs(counted[cls] - truth[cls]) / truth[cls], 3) if truth[cls] else None,
                  "worst_bin_error": round(worst[cls], 3) if cls in worst else None} for cls in classes}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--detector", default="yolo", choices=["yolo", "motion"])
    parser.add_argument("--minutes", type=float, default=15.0, help="scored minutes per clip (one count bin)")
    parser.add_argument("--head", type=float, default=HEAD_S)
    parser.add_argument("--tail", type=float, default=TAIL_S)
    parser.add_argument("--scenes", default="")
    parser.add_argument("--conditions", default="day")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--models", type=Path, default=ROOT / "data" / "models")
    parser.add_argument("--out", type=Path, default=None, help="results file (default bench/results/counts_<detector>.json)")
    parser.add_argument("--jobs", type=int, default=1, help="clips measured at once, one process each")
    parser.add_argument("--add", action="store_true",
                        help="add these clips to the results file already there (the code must be unchanged since)")
    parser.add_argument("--renders", type=Path, default=None,
                        help="keep rendered clips here and reuse them on later runs (bench.render_cache; ≈0.3 GB a clip)")
    parser.add_argument("--render-only", action="store_true",
                        help="only render the clips into --renders (e.g. ahead of a pipeline change)")
    args = parser.parse_args()
    scenes = [load_sim_scene(p) for p in sorted(SCENES.glob("*.yaml"))
              if not args.scenes or p.stem in args.scenes.split(",")]
    if args.render_only and args.renders is None:
        parser.error("--render-only needs --renders DIR")
    code = code_fingerprint(ROOT)
    rows = []
    if args.render_only:
        with tempfile.TemporaryDirectory(prefix="matthan-counts-") as tmp, \
                ProcessPoolExecutor(max_workers=max(1, args.jobs), initializer=init_worker if args.jobs > 1 else None) as pool:
            jobs = [pool.submit(prerender, scene, condition, seed=args.seed, minutes=args.minutes, head_s=args.head,
                                tail_s=args.tail, renders=args.renders, work=Path(tmp))
                    for scene in scenes for condition in args.conditions.split(",")]
            for job in jobs:
                print(job.result(), flush=True)
        return
    with tempfile.TemporaryDirectory(prefix="matthan-counts-") as tmp, \
            ProcessPoolExecutor(max_workers=max(1, args.jobs), initializer=init_worker if args.jobs > 1 else None) as pool:
        futures = [pool.submit(measure, scene, condition, seed=args.seed, minutes=args.minutes, head_s=args.head,
                               tail_s=args.tail, detector=args.detector, work=Path(tmp), models=args.models,
                               renders=args.renders)
                   for scene in scenes for condition in args.conditions.split(",")]
        for future in futures:
            row = {**future.result(), "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "code": code}
            rows.append(row)
            print(f"{row['scene']:<18} {row['condition']:<6} {row['status']:<7} {row['seconds']:>7.1f} s  "
                  + "  ".join(f"{cls} {row['counted'].get(cls, 0)}/{n}" for cls, n in sorted(row["truth"].items())),
                  flush=True)
    out = args.out or ROOT / "bench" / "results" / f"counts_{args.detector}.json"
    if args.add:
        rows = added_clips(out, rows, settings={"minutes": args.minutes, "head_s": args.head, "tail_s": args.tail,
                                                "seed": args.seed}, code=code)
    summary = summarise(rows)
    print(json.dumps(summary, indent=2))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit(ROOT),
                               "code": code, "machine": platform.machine(), "minutes": args.minutes,
                               "head_s": args.head, "tail_s": args.tail, "seed": args.seed, "jobs": args.jobs,
                               "summary": summary, "clips": rows}, indent=2, ensure_ascii=False))
    print(f"→ {out}")


if __name__ == "__main__":
    main()
