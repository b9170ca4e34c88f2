"""YOLO detector (ultralytics) with a class map onto our classes and per-class confidence.

Contract: ``YoloDetector(weights, ...)`` loads user-supplied or shipped weights from a
local file (never from a hub); ``detect(image)`` returns boxes of our classes only, each
above its class's confidence. ``track_confidence`` is what the pipeline asks of a track
before counting it or judging it (``TrackBook``). Heads without a helmet, when the model has such a class,
are returned in ``Detections.extra['no_helmet']``.

``runtime="onnx"`` (default) runs the model with ONNX Runtime (``onnx_model``): ``.onnx``
weights directly, ``.pt`` weights exported once into ``cache_dir`` (default: a ``.onnx``
folder beside the weights). When the export or the session fails, the detector runs on
PyTorch and says why in ``warnings``. ``precision="int8"`` (default) runs the 8-bit graph
``<stem>.int8.onnx`` beside ``.pt`` weights (``onnx_quantize``; ≈1.35× faster here) when
it was made from these very weights; otherwise the float graph, with a warning that says
why. ``.onnx`` weights run as given. ONNX Runtime gets as many threads as PyTorch is
allowed in this process (``pipelines.worker.init_worker`` sets both).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.classes import CLASSES, HELMET_CLASSES, class_map
from pipelines.detections import Detections
from pipelines.onnx_model import OnnxDetectionModel, onnx_export, weights_digest


def int8_path(weights: Path) -> Path:
    """Where the 8-bit graph of ``weights`` lives (``cli.py model quantize`` writes it)."""
    return weights.with_name(f"{weights.stem}.int8.onnx")


class YoloDetector:
    name = "yolo"

    def __init__(self, weights: Path, *, imgsz: int = 640, confidence: dict[str, float] | None = None,
                 default_confidence: float = 0.3, runtime: str = "onnx", cache_dir: Path | None = None,
                 track_confidence: float = 0.5, precision: str = "int8") -> None:
        self.weights = weights
        self.track_confidence = track_confidence
        self.warnings: list[str] = []
        self._onnx: OnnxDetectionModel | None = None
        self._model = None
        if runtime == "onnx":
            try:
                self._onnx = self._load_onnx(weights, imgsz, cache_dir or weights.parent / ".onnx", precision)
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
        self.runtime = f"onnx-{self._onnx.precision}" if self._onnx is not None else "torch"
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

    def _load_onnx(self, weights: Path, imgsz: int, cache_dir: Path, precision: str) -> OnnxDetectionModel:
        import torch

        threads = torch.get_num_threads()
        if weights.suffix.lower() == ".onnx":
            return OnnxDetectionModel(weights, imgsz=imgsz, threads=threads)
        if precision == "int8":
            graph = int8_path(weights)
            if not graph.is_file():
                problem = f"chưa có bản int8 {graph.name} (tạo bằng: python cli.py model quantize --weights {weights})"
            else:
                model = OnnxDetectionModel(graph, imgsz=imgsz, threads=threads)
                if model.source_sha256 == weights_digest(weights):
                    return model
                problem = f"{graph.name} được lượng tử hoá từ trọng số khác, không phải {weights.name} hiện tại"
            self.warnings.append(f"int8 → fp32: {problem}")
        return OnnxDetectionModel(onnx_export(weights, cache_dir), imgsz=imgsz, threads=threads)

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
