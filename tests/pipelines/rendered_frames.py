"""Decoded frames of a short rendered clip, for detector tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from simulator.clip import render_clip
from simulator.world import load_sim_scene

ROOT = Path(__file__).resolve().parents[2]


def rendered_frames(out_dir: Path, scene: str, *, seed: int, seconds: float, every: int) -> list[np.ndarray]:
    """Every ``every``-th frame (BGR, as the pipeline decodes it) of ``seconds`` of the shipped
    simulator scene ``scene`` rendered with ``seed``."""
    clip = render_clip(load_sim_scene(ROOT / "data" / "scenes" / "sim" / f"{scene}.yaml"), seconds=seconds, seed=seed,
                       out_dir=out_dir, name=scene)
    cap = cv2.VideoCapture(str(clip.video))
    out = []
    index = 0
    while True:
        ok, image = cap.read()
        if not ok:
            break
        if index % every == every - 1:
            out.append(image)
        index += 1
    cap.release()
    return out
