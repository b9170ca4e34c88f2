"""Detector training data from the synthetic world: frames plus YOLO-format box labels.

Contract: ``build_dataset(scenes, out_dir, ...)`` renders every scene under each
condition (day, night, rain, low-sun shadows; or those named in ``conditions``) with its own seed, keeps every ``stride``-th frame and
writes ``images/<split>/*.jpg`` + ``labels/<split>/*.txt`` (``cls cx cy w h``, normalised)
and ``data.yaml`` in the layout ultralytics reads. Class indices follow ``CLASSES``
(the pipeline's own class list). The same arguments always give the same files.
Frames are JPEG-compressed (quality 70-90) as a CCTV encoder would. ``mix`` replaces the
scenes' traffic mix (class → share) to render more of the rare classes (bicycles, buses);
those files are named ``…_mix_…`` so they never overwrite the ordinary ones.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from PIL import Image

from simulator.render import Renderer
from simulator.traffic import TrafficSim
from simulator.world import SimScene

CLASSES: tuple[str, ...] = ("motorbike", "car", "bus", "truck", "bicycle", "pedestrian")
CONDITIONS: dict[str, dict[str, object]] = {
    "day": {},
    "night": {"lighting": "night"},
    "rain": {"weather": "rain", "noise": 7.0},
    "shadow": {"shadows": True},
}
MIN_BOX_PX = 16  # smaller vehicles are too far for any rule; left unlabelled


@dataclass(frozen=True, kw_only=True, slots=True)
class DatasetSummary:
    root: Path
    images: dict[str, int]
    boxes: dict[str, int]


def _variant(scene: SimScene, condition: str, busy: bool, mix: dict[str, float] | None = None) -> SimScene:
    update: dict[str, object] = dict(CONDITIONS[condition])
    traffic: dict[str, object] = {}
    if busy:  # dense motorbike swarms: double the arrivals
        traffic["vehicles_per_minute"] = scene.traffic.vehicles_per_minute * 2
    if mix is not None:
        traffic["mix"] = dict(mix)
    if traffic:
        update["traffic"] = scene.traffic.model_copy(update=traffic)
    return scene.model_copy(update=update)


def build_dataset(scenes: Sequence[SimScene], out_dir: Path, *, seeds: Sequence[int], seconds: float = 40.0,
                  stride: int = 12, split: str = "train", mix: dict[str, float] | None = None,
                  conditions: Sequence[str] | None = None) -> DatasetSummary:
    """Render ``scenes`` × conditions × ``seeds`` into ``out_dir`` (appending to ``split``)."""
    chosen = list(CONDITIONS) if conditions is None else list(conditions)
    unknown_conditions = sorted(set(chosen) - set(CONDITIONS))
    if unknown_conditions or not chosen:
        raise ValueError(f"conditions: some of {', '.join(CONDITIONS)}; got {', '.join(chosen) or 'none'}")
    if mix is not None:
        unknown = sorted(set(mix) - set(CLASSES[:-1]))
        if unknown or not mix or any(v < 0 for v in mix.values()) or sum(mix.values()) <= 0:
            raise ValueError(f"mix: shares of {', '.join(CLASSES[:-1])} (≥ 0, not all 0); got {mix}")
    images_dir = out_dir / "images" / split
    labels_dir = out_dir / "labels" / split
    images_dir.mkdir(parents=True, exist_ok=True)
    labels_dir.mkdir(parents=True, exist_ok=True)
    counts = {name: 0 for name in CLASSES}
    n_images = 0
    for scene in scenes:
        for condition in chosen:
            for seed in seeds:
                variant = _variant(scene, condition, busy=seed % 2 == 1, mix=mix)
                n_images += _render_variant(variant, condition if mix is None else f"{condition}_mix", seed, seconds,
                                            stride, images_dir, labels_dir, counts)
    write_data_yaml(out_dir)
    return DatasetSummary(root=out_dir, images={split: n_images}, boxes=counts)


def _render_variant(scene: SimScene, condition: str, seed: int, seconds: float, stride: int,
                    images_dir: Path, labels_dir: Path, counts: dict[str, int]) -> int:
    sim = TrafficSim(scene, seed)
    renderer = Renderer(scene, seed)
    rnd = random.Random(seed)
    fps = scene.frame.fps
    for _ in range(int(fps * 8)):
        sim.step()
    start = datetime(2026, 3, 2, 1, 30, tzinfo=UTC) + timedelta(hours=12 if condition.startswith("night") else 0)
    w, h = scene.frame.width, scene.frame.height
    written = 0
    for index in range(int(seconds * fps)):
        if index % stride == 0:
            classes = {v.track_id: v.cls for v in sim.vehicles}
            classes.update({int(c["track_id"]): str(c["cls"]) for c in sim.cross})  # type: ignore[call-overload]
            frame, boxes = renderer.draw(sim, start + timedelta(seconds=index / fps), sim.frame)
            lines = []
            for track_id, box in boxes.items():
                cls = classes.get(track_id)
                if cls is None or box.x2 - box.x1 < MIN_BOX_PX or box.y2 - box.y1 < MIN_BOX_PX:
                    continue
                cx, cy = (box.x1 + box.x2) / 2 / w, (box.y1 + box.y2) / 2 / h
                lines.append(f"{CLASSES.index(cls)} {cx:.6f} {cy:.6f} {(box.x2 - box.x1) / w:.6f} "
                             f"{(box.y2 - box.y1) / h:.6f}")
                counts[cls] += 1
            stem = f"{scene.name}_{condition}_s{seed}_f{index:05d}"
            Image.fromarray(frame).save(images_dir / f"{stem}.jpg", quality=rnd.randint(70, 90))
            (labels_dir / f"{stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
            written += 1
        sim.step()
    return written


def write_data_yaml(out_dir: Path) -> Path:
    path = out_dir / "data.yaml"
    path.write_text(yaml.safe_dump({
        "path": str(out_dir.resolve()), "train": "images/train", "val": "images/val",
        "names": dict(enumerate(CLASSES)),
    }, sort_keys=False), encoding="utf-8")
    return path
