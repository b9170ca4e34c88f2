"""Rendered bench clips kept between runs, so that measuring a pipeline change costs only the pipeline.

A simulator clip is a pure function of the simulator's code, the scene (with its condition
applied), the seed, the length and the start time (``simulator.clip.render_clip``). A 15-minute
count clip takes as long to render as to process, so a bench re-run after a change in
``pipelines/`` would spend half its time drawing the same frames again. ``cached_render`` keeps
each clip under a directory named by a digest of all those inputs; a clip is reused only when
every one of its files is there (the truth and scene files are written after the video, each
atomically), and never when the simulator has uncommitted changes (its code could not be named).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from bench.provenance import code_fingerprint
from simulator.clip import ClipResult, render_clip
from simulator.world import SimScene

SIMULATOR_PATHS = ("simulator",)


def render_key(scene: SimScene, *, seconds: float, seed: int, start_utc: datetime, simulator: str) -> str:
    """Digest of everything a rendered clip depends on (``simulator`` names the simulator's code)."""
    inputs = {"scene": scene.model_dump(mode="json"), "seconds": seconds, "seed": seed,
              "start_utc": start_utc.isoformat(), "simulator": simulator}
    return hashlib.sha1(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def simulator_code(root: Path) -> str | None:
    """The fingerprint of the simulator's code in the checkout ``root`` (``provenance.code_fingerprint``)."""
    return code_fingerprint(root, SIMULATOR_PATHS)


def cached_render(scene: SimScene, *, seconds: float, seed: int, start_utc: datetime, name: str,
                  simulator: str | None, cache: Path | None, fallback: Path) -> tuple[ClipResult, bool]:
    """The clip ``render_clip`` would make, and whether it came from ``cache``.

    ``simulator`` is ``simulator_code`` of the checkout rendering. With ``cache`` None, or a
    simulator that cannot be named (no git, or uncommitted changes), the clip is rendered into
    ``fallback`` (the caller's scratch directory) and not kept.
    """
    if cache is None or simulator is None or simulator.endswith("+dirty"):
        return render_clip(scene, seconds=seconds, seed=seed, out_dir=fallback, name=name, start_utc=start_utc), False
    folder = cache / f"{name}-{render_key(scene, seconds=seconds, seed=seed, start_utc=start_utc, simulator=simulator)}"
    video, truth, config = folder / f"{name}.mp4", folder / f"{name}.truth.json", folder / f"{name}.scene.yaml"
    if video.is_file() and truth.is_file() and config.is_file():
        kept = json.loads(truth.read_text())
        return ClipResult(video=video, truth=truth, scene_config=config, frames=kept["frames"],
                          render_fps=float("inf"), violations=len(kept["violations"])), True
    return render_clip(scene, seconds=seconds, seed=seed, out_dir=folder, name=name, start_utc=start_utc), False
