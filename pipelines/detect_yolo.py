"""YOLO detector (ultralytics) with a class map onto our classes and per-class confidence.

Contract: ``YoloDetector(weights, ...)`` loads user-supplied or shipped weights from a
local file (never from a hub); ``detect(image)`` returns boxes of our classes only, each
above its class's confidence. Heads without a helmet, when the model has such a class,
are returned in ``Detections.extra['no_helmet']``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.classes import CLASSES, HELMET_CLASSES, class_map
from pipelines.detections import Detections


class YoloDetector:
    name = "yolo"

    def __init__(self, weights: Path, *, imgsz: int = 640, confidence: dict[str, float] | None = None,
                 default_confidence: float = 0.3) -> None:
        from ultralytics import YOLO

        self.weights = weights
        self._model = YOLO(str(weights), task="detect")
        names = {int(k): str(v) for k, v in self._model.names.items()}
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

    def detect(self, image: np.ndarray) -> Detections:
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
