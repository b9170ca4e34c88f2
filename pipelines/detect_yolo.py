"""YOLO detector (ultralytics) with a class map onto our classes and per-class confidence.

Contract: ``YoloDetector(weights, ...)`` loads user-supplied or shipped weights from a
local file (never from a hub); ``detect(image)`` returns boxes of our classes only, each
above its class's confidence. ``track_confidence`` is what the pipeline asks of a track
before counting it or judging it (``TrackBook``). Heads without a helmet, when the model has such a class,
are returned in ``Detections.extra['no_helmet']``.

``runtime="onnx"`` (default) runs the model with ONNX Runtime (``onnx_model``): ``.onnx``
weights directly, ``.pt`` weights exported once into ``cache_dir`` (default: a ``.onnx``
folder beside the weights). When the export or the session fails, the detector runs on
PyTorch and says why in ``warnings``. ONNX Runtime gets as many threads as PyTorch is
allowed in this process (``pipelines.worker.init_worker`` sets both).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.classes import CLASSES, HELMET_CLASSES, class_map
from pipelines.detections import Detections
from pipelines.onnx_model import OnnxDetectionModel, onnx_export


class YoloDetector:
    name = "yolo"

    def __init__(self, weights: Path, *, imgsz: int = 640, confidence: dict[str, float] | None = None,
                 default_confidence: float = 0.3, runtime: str = "onnx", cache_dir: Path | None = None,
                 track_confidence: float = 0.5) -> None:
        self.weights = weights
        self.track_confidence = track_confidence
        self.warnings: list[str] = []
        self._onnx: OnnxDetectionModel | None = None
        self._model = None
        if runtime == "onnx":
            try:
                self._onnx = self._load_onnx(weights, imgsz, cache_dir or weights.parent / ".onnx")
            except Exception as exc:  # noqa: BLE001 — any export/session failure: run on PyTorch instead
                if weights.suffix.lower() == ".onnx":
                    raise
                self.warnings.append(f"onnx → torch: {weights.name}: {type(exc).__name__}: {exc}")
        if self._onnx is not None:
            names = dict(self._onnx.names)
        else:
            from ultralytics import YOLO

            self._model = YOLO(str(weights), task="detect")
            names = {int(k): str(v) for k, v in self._model.names.items()}
        self.runtime = "onnx" if self._onnx is not None else "torch"
        self._map = class_map(names)
        if not self._map:
            raise ValueError(f"{weights}: the model has none of the classes {', '.join(CLASSES)}")
        self._helmet_ids = [k for k, v in names.items() if v.lower() in HELMET_CLASSES]
        self.helmet_classes = bool(self._helmet_ids)
        self._imgsz = imgsz
        confidence = confidence or {}
        self._conf = np.array([confidence.get(name, default_confidence) for name in CLASSES], np.float32)
        self._min_conf = float(min(self._conf.min(), default_confidence, 0.1))
        lut = np.full(max(names) + 1, -1, np.int64)
        for model_id, ours in self._map.items():
            lut[model_id] = ours
        self._lut = lut

    @staticmethod
    def _load_onnx(weights: Path, imgsz: int, cache_dir: Path) -> OnnxDetectionModel:
        import torch

        path = weights if weights.suffix.lower() == ".onnx" else onnx_export(weights, cache_dir)
        return OnnxDetectionModel(path, imgsz=imgsz, threads=torch.get_num_threads())

    def detect(self, image: np.ndarray) -> Detections:
        if self._onnx is not None:
            xyxy, conf, cls = self._onnx.predict(image, conf=self._min_conf)
        else:
            assert self._model is not None
            result = self._model.predict(image, imgsz=self._imgsz, conf=self._min_conf, device="cpu", verbose=False)[0]
            boxes = result.boxes
            xyxy = boxes.xyxy.cpu().numpy().astype(np.float32)
            conf = boxes.conf.cpu().numpy().astype(np.float32)
            cls = boxes.cls.cpu().numpy().astype(np.int64)
        extra: dict[str, np.ndarray] = {}
        if self._helmet_ids:
            extra["no_helmet"] = xyxy[np.isin(cls, self._helmet_ids)]
        ours = self._lut[cls] if len(cls) else cls
        keep = ours >= 0
        keep[keep] &= conf[keep] >= self._conf[ours[keep]]
        return Detections(xyxy=xyxy[keep], confidence=conf[keep], class_id=ours[keep], extra=extra)
