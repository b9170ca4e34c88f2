"""Render a scene to a browser-playable H.264 MP4 with its ground truth and scene config.

Outputs, in ``out_dir``:
- ``<name>.mp4`` — H.264, yuv420p, +faststart (plays in Chromium);
- ``<name>.truth.json`` — ground truth (format below);
- ``<name>.scene.yaml`` — the camera scene config the pipelines read for this clip.

Ground truth JSON (all frames are 0-based indices; times are UTC ISO-8601):
``{"scene", "seed", "fps", "frames", "width", "height", "start_utc", "plate_scale",
  "signal": [{"phase", "start_frame", "end_frame"}],              # end exclusive
  "vehicles": [{"track_id", "class", "plate", "plate_lines", "plate_colour", "plate_max_px",
                "lane", "movement", "direction", "behaviour", "max_speed_kmh_in_zone",
                "samples": [[frame, x1, y1, x2, y2, ground_y_m, speed_kmh, visible], ...]}],
  "violations": [{"type", "track_id", "start_frame", "end_frame", "start_utc", "end_utc",
                  "speed_kmh", "detail"}]}``
``samples`` hold the visible box of the vehicle in each frame it is visible, and the share of
that box not hidden behind nearer vehicles; ``plate_max_px`` is the plate's width in the frame
where it was drawn widest while wholly in the picture and not hidden by nearer vehicles
(``render.mark_legible``), 0 when it never was. A ``speeding``
event's ``speed_kmh`` is the highest one-second average of the true speed in the calibration
zone while the vehicle is whole in the picture; a vehicle too fast only while cut by the frame edge is not one, nor one
less than ``SPEEDING_TOLERANCE_KMH`` over the limit (Vietnamese fines start at 5 km/h over). Writes are
atomic (temp file + rename) so a killed render leaves no half file under the final name.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from analytics.scene_config import dump_scene_config
from simulator.render import PLATE_SCALE, Renderer, visible_fractions
from simulator.traffic import TrafficSim
from simulator.world import SimScene, scene_config

DEFAULT_START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 08:30 in Vietnam, a Monday
SPEEDING_TOLERANCE_KMH = 5.0  # the scene config's default tolerance_kmh


@dataclass(frozen=True, kw_only=True, slots=True)
class ClipResult:
    video: Path
    truth: Path
    scene_config: Path
    frames: int
    render_fps: float
    violations: int


class H264Writer:
    """Frames in, a browser-playable MP4 out (imageio-ffmpeg's bundled ffmpeg, libx264)."""

    def __init__(self, path: Path, width: int, height: int, fps: float, *, crf: int = 23) -> None:
        self.path = path
        self._tmp = path.with_name(f".{path.stem}.partial.mp4")
        self._gen = imageio_ffmpeg.write_frames(
            str(self._tmp), (width, height), fps=fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
            macro_block_size=2, quality=None, ffmpeg_log_level="error",
            output_params=["-preset", "veryfast", "-crf", str(crf), "-movflags", "+faststart"],
        )
        self._gen.send(None)

    def write(self, frame: np.ndarray) -> None:
        self._gen.send(frame)

    def close(self) -> Path:
        self._gen.close()
        self._tmp.replace(self.path)
        return self.path


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def render_clip(scene: SimScene, *, seconds: float, seed: int, out_dir: Path, name: str | None = None,
                start_utc: datetime = DEFAULT_START, camera_id: str | None = None) -> ClipResult:
    """Simulate and render ``seconds`` of ``scene``; deterministic for (scene, seed, start)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or f"{scene.name}_s{seed}"
    fps = scene.frame.fps
    total = int(round(seconds * fps))
    sim = TrafficSim(scene, seed)
    renderer = Renderer(scene, seed)
    # let traffic build up before the first frame so the clip starts with a live road
    for _ in range(int(fps * 8)):
        sim.step()
    warm = sim.frame
    sim.forget_events()  # the warm-up happens before the clip: not part of its truth
    writer = H264Writer(out_dir / f"{name}.mp4", scene.frame.width, scene.frame.height, fps, crf=scene.encoder_crf)
    samples: dict[int, list[list[float]]] = {}
    meta: dict[int, dict[str, object]] = {}
    started = time.perf_counter()
    try:
        for index in range(total):
            when = start_utc + timedelta(seconds=index / fps)
            frame, boxes = renderer.draw(sim, when, sim.frame)
            writer.write(frame)
            by_id = {v.track_id: v for v in sim.vehicles}
            visible = visible_fractions(boxes, scene.frame.width, scene.frame.height)
            for track_id, box in boxes.items():
                v = by_id.get(track_id)
                ground_y = round(v.front, 2) if v else None
                speed = round(v.speed * 3.6, 1) if v else None
                samples.setdefault(track_id, []).append([index, box.x1, box.y1, box.x2, box.y2, ground_y, speed,
                                                         visible[track_id]])
                if track_id not in meta:
                    meta[track_id] = _vehicle_meta(v, sim, track_id)
            sim.step()
    finally:
        video = writer.close()
    elapsed = time.perf_counter() - started
    sim.close()
    vehicles = {v.track_id: v for v in sim.finished}
    for track_id, info in meta.items():
        v = vehicles.get(track_id)
        if v is not None:
            info["plate_max_px"] = v.plate_px
            info["max_speed_kmh_in_zone"] = round(v.max_zone_speed, 1) if v.zone_frames else None

    def utc(frame: int) -> str:
        return (start_utc + timedelta(seconds=frame / fps)).isoformat()

    violations = []
    for event in sim.violations:
        start = max(event.start_frame, warm) - warm
        end = None if event.end_frame is None else max(event.end_frame - warm, start)
        if start >= total or event.track_id not in samples:
            continue  # happened after the last frame or never in view
        if event.violation_type == "speeding":
            seen = _visible_speed(samples[event.track_id], vehicles.get(event.track_id), warm, scene)
            if seen is None or seen < scene.road.speed_limit_kmh + SPEEDING_TOLERANCE_KMH:
                continue  # too fast only where the camera could not see it, or less than the fined margin
            event.speed_kmh = seen
        violations.append({"type": event.violation_type, "track_id": event.track_id, "start_frame": start,
                           "end_frame": min(end, total - 1) if end is not None else total - 1,
                           "start_utc": utc(start), "end_utc": utc(end if end is not None else total - 1),
                           "speed_kmh": event.speed_kmh, "detail": event.detail})
    truth = {
        "scene": scene.name, "title": scene.title, "seed": seed, "fps": fps, "frames": total,
        "width": scene.frame.width, "height": scene.frame.height, "start_utc": start_utc.isoformat(),
        "lighting": scene.lighting, "weather": scene.weather, "speed_limit_kmh": scene.road.speed_limit_kmh,
        "plate_scale": PLATE_SCALE,
        "signal": _signal_timeline(sim, warm, total),
        "vehicles": [{"track_id": tid, **meta[tid], "samples": samples[tid]} for tid in sorted(samples)],
        "violations": sorted(violations, key=lambda v: (v["start_frame"], v["track_id"])),
    }
    truth_path = out_dir / f"{name}.truth.json"
    _atomic_text(truth_path, json.dumps(truth, ensure_ascii=False, separators=(",", ":")))
    config_path = out_dir / f"{name}.scene.yaml"
    _atomic_text(config_path, dump_scene_config(scene_config(scene, camera_id)))
    return ClipResult(video=video, truth=truth_path, scene_config=config_path, frames=total,
                      render_fps=total / elapsed if elapsed > 0 else float("inf"), violations=len(violations))


def _visible_speed(track_samples: list[list[float]], vehicle: object, warm: int, scene: SimScene) -> float | None:
    """Highest one-second average of the true speed while the vehicle is in the calibration
    zone *and* whole in the picture: the speed a camera can be held to (a car braking as it
    enters the frame was only too fast while still cut by the frame edge, and no device
    measures an instant: radar and section control average over a base). With less than a
    second of such frames, their average."""
    zone = {f - warm for f in getattr(vehicle, "zone_frames", [])}
    w, h = scene.frame.width, scene.frame.height
    speeds = [s[6] for s in track_samples
              if int(s[0]) in zone and s[6] is not None and s[1] > 2 and s[2] > 2 and s[3] < w - 3 and s[4] < h - 3]
    if not speeds:
        return None
    n = max(1, min(len(speeds), int(round(scene.frame.fps))))
    return round(max(sum(speeds[i:i + n]) / n for i in range(len(speeds) - n + 1)), 1)


def _vehicle_meta(v: object, sim: TrafficSim, track_id: int) -> dict[str, object]:
    if v is None:  # crossing-road traffic (turned vehicles were seen earlier on the approach)
        cross = next((c for c in sim.cross if int(c["track_id"]) == track_id), None)  # type: ignore[call-overload]
        cls = str(cross["cls"]) if cross else "car"
        return {"class": cls, "plate": None, "plate_lines": 0, "plate_colour": None, "plate_max_px": 0,
                "lane": "cross", "movement": "cross", "direction": 0, "behaviour": "normal",
                "max_speed_kmh_in_zone": None}
    return {"class": v.cls, "plate": v.plate.text, "plate_lines": len(v.plate.lines),  # type: ignore[attr-defined]
            "plate_colour": v.plate.colour, "plate_max_px": 0, "lane": v.lane.lane_id,  # type: ignore[attr-defined]
            "movement": v.movement, "direction": v.direction, "behaviour": v.behaviour,  # type: ignore[attr-defined]
            "max_speed_kmh_in_zone": None}


def _signal_timeline(sim: TrafficSim, warm: int, total: int) -> list[dict[str, object]]:
    if sim.scene.signal is None:
        return []
    timeline: list[dict[str, object]] = []
    for index in range(total):
        phase, _ = sim.phase(index + warm)
        if timeline and timeline[-1]["phase"] == phase:
            timeline[-1]["end_frame"] = index + 1
        else:
            timeline.append({"phase": phase, "start_frame": index, "end_frame": index + 1})
    return timeline
