"""Choose a camera's detector from its scene config, falling back to motion when needed.

Contract: ``build_detector(config, models_dir)`` returns a ``DetectorChoice``. For
``type: yolo`` it loads the configured weights (relative paths are under ``models_dir``;
default ``matthan-det.pt``). When the weights are missing or cannot be loaded it falls
back to the ``motion`` detector and says so in ``warnings`` (recorded on the pipeline run
and shown in the UI) — it never crashes and never tries to download anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from analytics.scene_config import SceneConfig
from pipelines.detect_motion import GATE_WIDTH, MotionDetector
from pipelines.detect_yolo import YoloDetector

log = logging.getLogger(__name__)
DEFAULT_WEIGHTS = "matthan-det.pt"


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class DetectorChoice:
    detector: YoloDetector | MotionDetector
    gate: MotionDetector | None
    requested: str
    used: str
    warnings: tuple[str, ...]


def build_detector(config: SceneConfig, *, models_dir: Path, override: str | None = None,
                   imgsz: int | None = None, gating: bool | None = None) -> DetectorChoice:
    spec = config.detector
    requested = override or spec.type
    if requested == "motion":
        return DetectorChoice(detector=MotionDetector(config), gate=None, requested="motion", used="motion", warnings=())
    weights = Path(spec.weights) if spec.weights else Path(DEFAULT_WEIGHTS)
    if not weights.is_absolute():
        weights = models_dir / weights
    problem = None
    detector: YoloDetector | None = None
    if not weights.is_file():
        problem = f"không có trọng số {weights}"
    else:
        try:
            detector = YoloDetector(weights, imgsz=imgsz or spec.imgsz, confidence=dict(spec.confidence),
                                    default_confidence=spec.default_confidence, runtime=spec.runtime,
                                    track_confidence=spec.track_confidence, precision=spec.precision)
        except Exception as exc:  # noqa: BLE001 — any loader failure must end in the motion fallback
            problem = f"không nạp được trọng số {weights}: {type(exc).__name__}: {exc}"
    if detector is None:
        warning = f"yolo → motion: {problem}; dùng bộ phát hiện chuyển động"
        log.warning(warning)
        return DetectorChoice(detector=MotionDetector(config), gate=None, requested="yolo", used="motion",
                              warnings=(warning,))
    use_gate = spec.motion_gating if gating is None else gating
    gate = MotionDetector(config, work_width=GATE_WIDTH, whole_frame=True) if use_gate else None
    return DetectorChoice(detector=detector, gate=gate,
                          requested="yolo", used="yolo+motion-gate" if use_gate else "yolo",
                          warnings=tuple(detector.warnings))
