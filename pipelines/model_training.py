"""Train and evaluate our own vehicle detector (ultralytics, built from yaml, nothing downloaded).

Contract:
- ``train_detector`` trains ``data/models/matthan-det.yaml`` from scratch on a dataset
  written by ``simulator.dataset`` and copies the best weights to ``out``; it never
  reaches the network (``YOLO_OFFLINE`` is set, no pretrained weights are asked for).
- ``evaluate_detector`` runs ultralytics validation on a held-out split and returns
  mAP50, mAP50-95, precision and recall overall and per class.
Only the composition root / CLI calls these; the runtime loads the shipped weights.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True, slots=True)
class DetectorMetrics:
    weights: str
    data: str
    imgsz: int
    map50: float
    map50_95: float
    precision: float
    recall: float
    per_class_map50: dict[str, float]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def offline_ultralytics(config_dir: Path) -> None:
    """Point ultralytics at a settings folder inside the project and forbid downloads.
    Call before ultralytics is first imported (the composition roots do)."""
    config_dir.mkdir(parents=True, exist_ok=True)
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ.setdefault("YOLO_CONFIG_DIR", str(config_dir.resolve()))


def train_detector(*, model_yaml: Path, data_yaml: Path, out: Path, epochs: int, imgsz: int, batch: int = 16,
                   fraction: float = 1.0, seed: int = 0, workers: int = 2, init: Path | None = None) -> Path:
    """Train from scratch (or continue from ``init``, a stage's weights built the same way);
    returns ``out`` (the best weights, copied atomically)."""
    from ultralytics import YOLO

    model = YOLO(str(init if init is not None else model_yaml))
    with tempfile.TemporaryDirectory(prefix="matthan-train-") as tmp:
        model.train(data=str(data_yaml), epochs=epochs, imgsz=imgsz, batch=batch, fraction=fraction, seed=seed,
                    workers=workers, device="cpu", project=tmp, name="run", exist_ok=True, pretrained=init is not None,
                    amp=False, plots=False, verbose=False, close_mosaic=max(1, epochs // 4), patience=epochs,
                    deterministic=True)
        best = Path(tmp) / "run" / "weights" / "best.pt"
        if not best.is_file():
            best = Path(tmp) / "run" / "weights" / "last.pt"
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial")
        shutil.copyfile(best, partial)
        partial.replace(out)
    return out


def evaluate_detector(*, weights: Path, data_yaml: Path, imgsz: int, split: str = "val") -> DetectorMetrics:
    """Validation metrics of ``weights`` on ``split`` of ``data_yaml``."""
    from ultralytics import YOLO

    model = YOLO(str(weights))
    with tempfile.TemporaryDirectory(prefix="matthan-val-") as tmp:
        result = model.val(data=str(data_yaml), imgsz=imgsz, split=split, device="cpu", plots=False, verbose=False,
                           project=tmp, name="val", batch=16, workers=2)
    names = result.names
    per_class = {names[int(c)]: round(float(result.box.ap50[i]), 4) for i, c in enumerate(result.box.ap_class_index)}
    return DetectorMetrics(weights=weights.name, data=str(data_yaml), imgsz=imgsz, map50=round(float(result.box.map50), 4),
                           map50_95=round(float(result.box.map), 4), precision=round(float(result.box.mp), 4),
                           recall=round(float(result.box.mr), 4), per_class_map50=per_class)
