"""Pipeline accuracy against simulator ground truth, on clips rendered with fresh seeds.

For every shipped scene geometry × condition (day, night, rain, dense swarm, 6 fps stream,
low-sun shadows, hard H.264 compression, 480p and 1080p frames) a clip is
rendered with a seed never used while tuning (9000+), processed by the full pipeline
(detector as configured, tracker, rules, plates, evidence) and scored:
precision / recall per violation type, speed error, plate exact-match on legible plates,
count accuracy per class.

Each clip is scored as one segment of a camera that runs on: ``--head`` seconds are rendered
before the ``--seconds`` scored and ``--tail`` after, the pipeline runs through all of them,
and only the events starting in the scored stretch count (``truth_eval.score``'s window) —
a vehicle is not cut short by the clip's edges, as it is not between consecutive segments.

Run: .venv/bin/python bench/bench_accuracy.py [--detector yolo|motion] [--seconds 60] [--seed N]
→ prints, writes bench/results/accuracy_<detector>.json (``_seed<N>`` added for another seed
than 9001: a second set of clips nothing was tuned on, to check the first set's figures)
``--add`` measures only the clips asked for (``--scenes``/``--conditions``) and adds them to
that file (``--out``: another one): its clips of other scene × condition pairs stay (each clip row says when it was
measured, and on which code: ``bench.provenance.code_fingerprint``) and the summary is taken
over all of them. Only for code that has not changed since the file's other clips were
measured: clips of another fingerprint, or measured with uncommitted changes, are refused. ``--renders DIR`` keeps the rendered clips
there and takes them again on later runs (``bench.render_cache``: a round after a pipeline
change then costs only the pipeline).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.model_training import offline_ultralytics  # noqa: E402

offline_ultralytics(ROOT / "data" / "runtime" / "ultralytics")

from analytics.scene_config import load_scene_config  # noqa: E402
from bench.provenance import added_clips, code_fingerprint, commit  # noqa: E402
from pipelines.camera_pipeline import PipelineOptions  # noqa: E402
from pipelines.counting import count_line  # noqa: E402
from pipelines.truth_eval import TrackLog, load_truth, score  # noqa: E402
from pipelines.video_job import process_file  # noqa: E402
from bench.render_cache import cached_render, simulator_code  # noqa: E402
from simulator.clip import DEFAULT_START  # noqa: E402
from simulator.world import SimScene, load_sim_scene  # noqa: E402

SCENES = ROOT / "data" / "scenes" / "sim"
TYPES = ("red_light", "stop_line", "wrong_way", "wrong_lane", "illegal_stop", "speeding")
CONDITIONS = {
    "day": {},
    "night": {"lighting": "night"},
    "rain": {"weather": "rain", "noise": 7.0},
    "swarm": {"traffic_scale": 2.0},  # dense motorbike swarms: twice the arrivals
    "6fps": {"frame": {"width": 1280, "height": 720, "fps": 6.0}},
    "shadow": {"shadows": True},  # low sun: vehicles and roadside houses cast shadows on the road
    "compressed": {"encoder_crf": 32},  # a CCTV stream squeezed through a congested uplink
    "480p": {"frame": {"width": 854, "height": 480, "fps": 25.0}},  # an old analogue-era camera (D1 class)
    "1080p": {"frame": {"width": 1920, "height": 1080, "fps": 25.0}},  # a current IP camera
}
VIOLATION_BOOST = 3.0  # violation rates ×3 so that each clip holds enough events (traffic unchanged)


def variant(scene: SimScene, condition: str, boost: float = VIOLATION_BOOST) -> SimScene:
    """``scene`` under ``condition``, its violation rates × ``boost``."""
    data = scene.model_dump()
    data["violations"] = {k: min(1.0, v * boost) for k, v in data["violations"].items()}
    extra = dict(CONDITIONS[condition])
    scale = float(extra.pop("traffic_scale", 1.0))  # type: ignore[arg-type]
    data["traffic"]["vehicles_per_minute"] *= scale
    return SimScene.model_validate({**data, **extra})


DEFAULT_SEED = 9001


HEAD_S = 4.0  # footage before the scored stretch: the end of the segment before
TAIL_S = 8.0  # and after it: the start of the next


def evaluate(clip_dir: Path, scene: SimScene, condition: str, seed: int, seconds: float, detector: str,
             evidence: Path, models: Path, detect_fps: float | None = None,
             head_s: float = HEAD_S, tail_s: float = TAIL_S, renders: Path | None = None) -> dict:
    """Render ``head_s + seconds + tail_s`` of ``scene`` under ``condition`` (or take it from
    ``renders``: ``render_cache``), run the pipeline through it and score the ``seconds`` after
    the head; returns the clip's results row."""
    sim_scene = variant(scene, condition)
    clip, _ = cached_render(sim_scene, seconds=head_s + seconds + tail_s, seed=seed, start_utc=DEFAULT_START,
                            name=f"{scene.name}_{condition}_{seed}", simulator=simulator_code(ROOT), cache=renders,
                            fallback=clip_dir)
    fps = sim_scene.frame.fps
    window = (round(head_s * fps), round((head_s + seconds) * fps))
    log = TrackLog()
    started = time.perf_counter()
    detect_every = max(1, round(fps / detect_fps)) if detect_fps else 1
    summary = _run(clip.video, detector, evidence, log, models, detect_every)
    elapsed = time.perf_counter() - started
    result = summary.result
    config = load_scene_config(clip.scene_config)
    counts: Counter[str] = Counter()
    for b in result.count_bins:
        counts[b.vehicle_class] += b.count
    truth = load_truth(clip.truth)
    types = [t for t in TYPES if getattr(scene.violations, t) > 0 or t in ("red_light", "stop_line") and scene.signal
             or t == "illegal_stop" and scene.road.no_stopping is not None]
    s = score(truth, result.violations, log, counts_pred=dict(counts), count_line=count_line(config), types=types,
              lanes=[lane.polygon for lane in config.lanes], window=window)
    return {"scene": scene.name, "condition": condition, "seed": seed, "frames": result.run.frames_read,
            "seconds": round(elapsed, 1), "status": result.run.status, "detector": result.run.detector,
            "per_type": {k: {"tp": v.tp, "fp": v.fp, "fn": v.fn} for k, v in s.per_type.items()},
            "speed_errors_kmh": list(s.speed_errors_kmh), "plates_legible": s.plates_legible,
            "plates_exact": s.plates_exact, "counts_pred": s.counts_pred, "counts_truth": s.counts_truth,
            "false_positives": list(s.false_positives), "misses": list(s.misses),
            "plates_wrong_unflagged": s.plates_wrong_unflagged, "plates_exact_flagged": s.plates_exact_flagged,
            "plate_misses": list(s.plate_misses)}


def _run(video: Path, detector: str, evidence: Path, log: TrackLog, models: Path,  # type: ignore[no-untyped-def]
         detect_every: int):
    options = PipelineOptions(detect_every=detect_every) if detect_every > 1 else None
    return process_file(video, camera_id="BENCH", detector=detector, evidence_root=evidence, options=options,
                        scenes_dir=ROOT / "data" / "scenes" / "cameras", models_dir=models,
                        on_frame=log.on_frame)


def aggregate(rows: list[dict]) -> dict:
    totals: dict[str, Counter[str]] = {}
    for row in rows:
        for kind, c in row["per_type"].items():
            totals.setdefault(kind, Counter()).update(c)
    per_type = {}
    for kind, c in sorted(totals.items()):
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None
        per_type[kind] = {**c, "precision": None if p is None else round(p, 3), "recall": None if r is None else round(r, 3)}
    speed = [e for row in rows for e in row["speed_errors_kmh"]]
    legible = sum(r["plates_legible"] for r in rows)
    exact = sum(r["plates_exact"] for r in rows)
    wrong = sum(r.get("plates_wrong_unflagged", 0) for r in rows)  # rows measured before it was kept lack it
    flagged = sum(r.get("plates_exact_flagged", 0) for r in rows)
    pred: Counter[str] = Counter()
    true: Counter[str] = Counter()
    for row in rows:
        pred.update(row["counts_pred"])
        true.update(row["counts_truth"])
    count_error = {cls: round(abs(pred[cls] - true[cls]) / true[cls], 3) for cls in sorted(true) if true[cls]}
    return {"per_type": per_type, "median_speed_error_kmh": round(statistics.median(speed), 2) if speed else None,
            "plates_legible": legible, "plate_exact_match": round(exact / legible, 3) if legible else None,
            "plates_wrong_unflagged": wrong, "plates_exact_flagged": flagged,
            "counts_pred": dict(pred), "counts_truth": dict(true), "count_error_per_class": count_error}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--detector", default="yolo", choices=["yolo", "motion"])
    parser.add_argument("--seconds", type=float, default=60.0, help="scored seconds per clip")
    parser.add_argument("--head", type=float, default=HEAD_S, help="seconds rendered and run before them")
    parser.add_argument("--tail", type=float, default=TAIL_S, help="seconds rendered and run after them")
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--scenes", default="")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help="render seed; another than the default writes its own results file (a second set of "
                             "fresh clips, to check the figures are not those of one set)")
    parser.add_argument("--models", type=Path, default=ROOT / "data" / "models")
    parser.add_argument("--detect-fps", type=float, default=None, help="detection rate (default: every frame)")
    parser.add_argument("--add", action="store_true",
                        help="add these clips to the results file already there (the code must be unchanged since)")
    parser.add_argument("--renders", type=Path, default=None,
                        help="keep rendered clips here and reuse them on later runs (bench.render_cache)")
    parser.add_argument("--out", type=Path, default=None,
                        help="results file (default bench/results/accuracy_<detector>[_<N>fps][_seed<N>].json)")
    args = parser.parse_args()
    scenes = [load_sim_scene(p) for p in sorted(SCENES.glob("*.yaml"))
              if not args.scenes or p.stem in args.scenes.split(",")]
    code = code_fingerprint(ROOT)
    rows = []
    with tempfile.TemporaryDirectory(prefix="matthan-acc-") as tmp:
        for scene in scenes:
            for condition in args.conditions.split(","):
                row = evaluate(Path(tmp) / "clips", scene, condition, args.seed, args.seconds, args.detector,
                               Path(tmp) / "evidence", args.models, args.detect_fps, args.head, args.tail,
                               renders=args.renders)
                row["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
                row["code"] = code
                rows.append(row)
                print(f"{scene.name:<18} {condition:<6} {row['status']:<7} {row['detector']:<16} "
                      + " ".join(f"{k}:{v['tp']}/{v['fp']}/{v['fn']}" for k, v in row["per_type"].items())
                      + f" speed_err={row['speed_errors_kmh']} plates={row['plates_exact']}/{row['plates_legible']}"
                      + f" (review {row['plates_exact_flagged']})"
                      + f" counts={row['counts_pred']} truth={row['counts_truth']}", flush=True)
                for line in row["false_positives"] + row["misses"] + row["plate_misses"]:
                    print("    ", line)
    suffix = (f"_{args.detect_fps:g}fps" if args.detect_fps else "") + (
        f"_seed{args.seed}" if args.seed != DEFAULT_SEED else "")
    out = args.out or ROOT / "bench" / "results" / f"accuracy_{args.detector}{suffix}.json"
    if args.add:
        rows = added_clips(out, rows, settings={"seconds_per_clip": args.seconds, "head_s": args.head,
                                                "tail_s": args.tail}, code=code)
    summary = aggregate(rows)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"measured_at": datetime.now(UTC).isoformat(), "commit": commit(ROOT), "code": code,
                               "machine": platform.machine(), "cpus": __import__("os").cpu_count(), "seconds_per_clip": args.seconds,
                               "head_s": args.head, "tail_s": args.tail,
                               "seed": args.seed, "detect_fps": args.detect_fps, "violation_boost": VIOLATION_BOOST,
                               "summary": summary, "clips": rows}, indent=2, ensure_ascii=False))
    print(f"→ {out}")


if __name__ == "__main__":
    main()
