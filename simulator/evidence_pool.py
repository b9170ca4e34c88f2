"""A small pool of rendered evidence for the demo violations: per shipped scene, an H.264
clip, three annotated keyframes (approach, at the line, after), a plate crop and a
manifest with SHA-256 of every file (``analytics.evidence_manifest``).

Contract: ``build_pool(scenes, root)`` writes ``root/demo-pool/<scene>/`` once (existing,
intact folders are kept) and returns the folder of each scene relative to ``root``.
Plates and vehicles are personal data: keyframes list their boxes for masking, the clip
has no masked variant (viewers without personal-data permission are refused it).
"""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw

from analytics.evidence_manifest import EvidenceFile, EvidenceManifest, sha256_file, verify_folder, write_manifest
from simulator.clip import H264Writer
from simulator.render import Box, Renderer, font
from simulator.traffic import TrafficSim
from simulator.world import SimScene

POOL = "demo-pool"
START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def _keyframe(frame: Image.Image, boxes: dict[int, Box], label: str) -> tuple[bytes, tuple[tuple[int, int, int, int], ...]]:
    img = frame.copy()
    draw = ImageDraw.Draw(img)
    redact = []
    for box in boxes.values():
        draw.rectangle([box.x1, box.y1, box.x2, box.y2], outline=(255, 220, 0), width=2)
        redact.append((box.x1, box.y1 + (box.y2 - box.y1) // 2, box.x2, box.y2))  # plates sit low on vehicles
    draw.rectangle([0, img.height - 30, img.width, img.height], fill=(0, 0, 0))
    draw.text((10, img.height - 15), label, fill=(255, 255, 255), font=font(18), anchor="lm")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue(), tuple(redact)


def _render(scene: SimScene, folder: Path, seconds: float) -> None:
    sim, renderer = TrafficSim(scene, 3), Renderer(scene, 3)
    for _ in range(int(scene.frame.fps * 12)):
        sim.step()
    total = int(seconds * scene.frame.fps)
    picks = {int(total * 0.25): "1 – tiếp cận", int(total * 0.5): "2 – tại vạch dừng", int(total * 0.75): "3 – sau vạch"}
    writer = H264Writer(folder / "clip.mp4", scene.frame.width, scene.frame.height, scene.frame.fps)
    files: list[EvidenceFile] = []
    largest: tuple[int, Image.Image, Box] | None = None
    try:
        for index in range(total):
            arr, boxes = renderer.draw(sim, START + timedelta(seconds=index / scene.frame.fps), sim.frame)
            writer.write(arr)
            if index in picks:
                data, redact = _keyframe(Image.fromarray(arr), boxes, f"Ảnh {picks[index]}")
                name = f"keyframe_{len(files) + 1}.jpg"
                (folder / name).write_bytes(data)
                files.append(EvidenceFile(name=name, sha256=sha256_file(folder / name), kind="keyframe",
                                          personal=True, redact=redact))
            for box in boxes.values():
                area = (box.x2 - box.x1) * (box.y2 - box.y1)
                if largest is None or area > largest[0]:
                    largest = (area, Image.fromarray(arr), box)
            sim.step()
    finally:
        writer.close()
    files.append(EvidenceFile(name="clip.mp4", sha256=sha256_file(folder / "clip.mp4"), kind="clip", personal=True))
    if largest is not None:
        _, img, box = largest
        crop = img.crop((box.x1, box.y1 + (box.y2 - box.y1) // 2, box.x2, box.y2))
        crop.save(folder / "plate.jpg", "JPEG", quality=92)
        files.append(EvidenceFile(name="plate.jpg", sha256=sha256_file(folder / "plate.jpg"), kind="plate",
                                  personal=True, redact=((0, 0, crop.width, crop.height),)))
    write_manifest(folder, EvidenceManifest(violation_id=f"{POOL}/{scene.name}", files=tuple(files)))


def build_pool(scenes: list[SimScene], root: Path, *, seconds: float = 6.0) -> dict[str, str]:
    """Render (or keep) the pool; returns {scene name: folder relative to ``root``}."""
    out: dict[str, str] = {}
    for scene in scenes:
        folder = root / POOL / scene.name
        if not (folder.is_dir() and not verify_folder(folder)):
            tmp = folder.with_name(f".{scene.name}.partial")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            _render(scene, tmp, seconds)
            shutil.rmtree(folder, ignore_errors=True)
            tmp.replace(folder)
        out[scene.name] = f"{POOL}/{scene.name}"
    return out
