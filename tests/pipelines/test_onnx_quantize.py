"""The 8-bit graph finds the boxes the float graph finds, is used only when it was made from
the very weights configured, and the shipped one was made from the shipped weights."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

from pipelines.detect_yolo import YoloDetector, int8_path
from pipelines.onnx_quantize import quantize_detector, source_digest, weights_digest
from tests.pipelines.rendered_frames import rendered_frames

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "data" / "models" / "matthan-det.pt"


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    return rendered_frames(tmp_path_factory.mktemp("q"), "nga_tu_rach_gia", seed=612, seconds=4, every=12)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


@pytest.mark.slow
def test_the_int8_graph_finds_the_boxes_the_float_graph_finds(frames: list[np.ndarray], tmp_path: Path) -> None:
    weights = tmp_path / WEIGHTS.name
    shutil.copyfile(WEIGHTS, weights)
    graph = quantize_detector(weights, frames[:4], int8_path(weights))
    assert graph == tmp_path / "matthan-det.int8.onnx" and source_digest(graph) == weights_digest(weights)
    assert not list(tmp_path.glob(".*.partial"))
    int8 = YoloDetector(weights, imgsz=640, default_confidence=0.5)
    fp32 = YoloDetector(weights, imgsz=640, default_confidence=0.5, precision="fp32")
    assert (int8.runtime, int8.warnings) == ("onnx-int8", [])
    assert (fp32.runtime, fp32.warnings) == ("onnx-fp32", [])
    found = total = 0
    for image in frames[4:]:
        a, b = int8.detect(image), fp32.detect(image)
        total += len(b.xyxy)
        if len(a.xyxy) and len(b.xyxy):
            iou = _iou(b.xyxy, a.xyxy)
            best = iou.argmax(axis=1)
            found += int(((iou.max(axis=1) > 0.8) & (a.class_id[best] == b.class_id)).sum())
    assert total >= 20
    assert found >= 0.9 * total


def test_the_shipped_int8_graph_was_made_from_the_shipped_weights() -> None:
    assert source_digest(int8_path(WEIGHTS)) == weights_digest(WEIGHTS)
    detector = YoloDetector(WEIGHTS, imgsz=640)
    assert (detector.runtime, detector.warnings) == ("onnx-int8", [])


def test_an_int8_graph_of_other_weights_is_not_used(frames: list[np.ndarray], tmp_path: Path) -> None:
    weights = tmp_path / WEIGHTS.name
    shutil.copyfile(WEIGHTS, weights)
    stale = onnx.load(str(int8_path(WEIGHTS)))
    onnx.helper.set_model_props(stale, {**{p.key: p.value for p in stale.metadata_props}, "source_sha256": "0" * 64})
    onnx.save(stale, str(int8_path(weights)))
    detector = YoloDetector(weights, imgsz=640)
    assert detector.runtime == "onnx-fp32"
    assert detector.warnings == ["int8 → fp32: matthan-det.int8.onnx được lượng tử hoá từ trọng số khác, "
                                 "không phải matthan-det.pt hiện tại"]
    assert len(detector.detect(frames[0]).xyxy) > 0


def test_no_int8_graph_runs_the_float_graph_and_says_how_to_make_one(tmp_path: Path) -> None:
    weights = tmp_path / WEIGHTS.name
    shutil.copyfile(WEIGHTS, weights)
    detector = YoloDetector(weights, imgsz=640)
    assert detector.runtime == "onnx-fp32" and len(detector.warnings) == 1
    assert detector.warnings[0].startswith("int8 → fp32: chưa có bản int8 matthan-det.int8.onnx")
    assert "model quantize" in detector.warnings[0]
    assert YoloDetector(weights, imgsz=640, precision="fp32").warnings == []
