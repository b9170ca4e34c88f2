"""Run an ultralytics detection model with ONNX Runtime on the CPU, threads under our control.

Contract:
- ``onnx_export(weights, cache_dir)`` exports ``weights`` (.pt) once to
  ``<cache_dir>/<stem>-<sha256[:12]>.onnx`` (dynamic input size, exported by ultralytics
  next to a copy of the weights in a temp folder, renamed into place so concurrent workers
  never read half a file) and returns its path; an existing export is reused. Raises what
  the export raised.
- ``OnnxDetectionModel(path, imgsz, threads)`` predicts like ultralytics' own predictor
  (the same letterbox, NMS at IoU 0.7 and box scaling, from ultralytics' utilities):
  ``predict(image, conf)`` returns ``(xyxy, confidence, class_id)`` arrays in image pixels.
  ``precision`` is ``"int8"`` for a graph made by ``onnx_quantize``, else ``"fp32"``;
  ``source_sha256`` the ``weights_digest`` of the weights such a graph was made from.
  The session uses ``threads`` intra-op threads (ultralytics' own ONNX backend always takes
  every core, which oversubscribes a pool of single-threaded workers).

Why: on this CPU the exported graph runs in 2/3 of the time of the PyTorch model, single
threaded (``bench/bench_throughput.py``).
"""

from __future__ import annotations

import ast
import hashlib
import logging
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np


def weights_digest(weights: Path) -> str:
    """SHA-256 of a weights file: names its export, and stamps the 8-bit graph made from it."""
    return hashlib.sha256(weights.read_bytes()).hexdigest()


def onnx_export(weights: Path, cache_dir: Path) -> Path:
    digest = weights_digest(weights)[:12]
    target = cache_dir / f"{weights.stem}-{digest}.onnx"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    from ultralytics import YOLO
    from ultralytics.utils import LOGGER

    level = LOGGER.level
    LOGGER.setLevel(logging.WARNING)  # the exporter prints a page of advice on every export
    try:
        with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".export-") as tmp:
            copy = Path(tmp) / weights.name
            shutil.copyfile(weights, copy)
            exported = Path(YOLO(str(copy), task="detect").export(format="onnx", dynamic=True, simplify=False,
                                                                 device="cpu", verbose=False))
            exported.replace(target)
    finally:
        LOGGER.setLevel(level)
    return target


def letterbox_blob(image: np.ndarray, imgsz: int, stride: int) -> np.ndarray:
    """``image`` (BGR) letterboxed as ultralytics' predictor does (longest side ``imgsz`` rounded
    up to a multiple of ``stride``, as its ``check_imgsz`` does, the other side padded to a
    multiple of ``stride``) as a 1×3×H×W float32 RGB tensor in 0–1."""
    from ultralytics.data.augment import LetterBox

    imgsz = stride * math.ceil(imgsz / stride)
    boxed = LetterBox(imgsz, auto=True, stride=stride)(image=image)
    return np.ascontiguousarray(boxed[..., ::-1].transpose(2, 0, 1)[None], dtype=np.float32) / 255.0


class OnnxDetectionModel:
    def __init__(self, path: Path, *, imgsz: int, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        meta = self._session.get_modelmeta().custom_metadata_map
        self.names: dict[int, str] = {int(k): str(v) for k, v in ast.literal_eval(meta["names"]).items()}
        self.stride = int(float(meta.get("stride", 32)))
        self.precision = "int8" if meta.get("precision") == "int8" else "fp32"
        self.source_sha256: str | None = meta.get("source_sha256")  # the weights an 8-bit graph was made from
        self.threads = options.intra_op_num_threads
        self._input = self._session.get_inputs()[0].name
        self._imgsz = imgsz

    def predict(self, image: np.ndarray, *, conf: float, iou: float = 0.7, max_det: int = 300,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import torch
        from ultralytics.utils import nms, ops

        blob = letterbox_blob(image, self._imgsz, self.stride)
        raw = self._session.run(None, {self._input: blob})[0]
        det = nms.non_max_suppression(torch.from_numpy(raw), conf, iou, max_det=max_det)[0]
        if len(det):
            det[:, :4] = ops.scale_boxes(blob.shape[2:], det[:, :4], image.shape)
        out = det.numpy()
        return out[:, :4].astype(np.float32), out[:, 4].astype(np.float32), out[:, 5].astype(np.int64)
