"""The yolo detector on ONNX Runtime gives the boxes the PyTorch model gives, exports once,
uses the process's thread budget, and falls back to PyTorch with a warning when it cannot
export."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from pipelines.detect_yolo import YoloDetector
from tests.pipelines.rendered_frames import rendered_frames

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "data" / "models" / "matthan-det.pt"


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    return rendered_frames(tmp_path_factory.mktemp("det"), "pho_tran_phu", seed=611, seconds=3, every=15)


def test_onnx_runtime_finds_the_boxes_pytorch_finds(frames: list[np.ndarray], tmp_path: Path) -> None:
    weights = tmp_path / WEIGHTS.name
    shutil.copyfile(WEIGHTS, weights)
    onnx = YoloDetector(weights, imgsz=480, default_confidence=0.25, precision="fp32")
    torch_model = YoloDetector(weights, imgsz=480, default_confidence=0.25, runtime="torch")
    assert onnx.runtime == "onnx-fp32" and torch_model.runtime == "torch" and onnx.warnings == []
    exported = list((tmp_path / ".onnx").glob("*.onnx"))
    assert len(exported) == 1 and not list((tmp_path / ".onnx").glob(".export-*"))
    matched = 0
    for image in frames:
        a, b = onnx.detect(image), torch_model.detect(image)
        assert len(a.xyxy) == len(b.xyxy) > 0
        order_a, order_b = np.lexsort(a.xyxy.T[::-1]), np.lexsort(b.xyxy.T[::-1])
        assert np.abs(a.xyxy[order_a] - b.xyxy[order_b]).max() < 1.5
        assert np.array_equal(a.class_id[order_a], b.class_id[order_b])
        matched += len(a.xyxy)
    assert matched >= 10
    stamp = exported[0].stat().st_mtime_ns
    again = YoloDetector(weights, imgsz=480, precision="fp32")
    assert again.runtime == "onnx-fp32" and exported[0].stat().st_mtime_ns == stamp  # exported once
    assert again._onnx is not None and again._onnx.threads == torch.get_num_threads()


def test_no_place_for_the_export_runs_on_pytorch_with_a_warning(frames: list[np.ndarray], tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    detector = YoloDetector(WEIGHTS, imgsz=480, cache_dir=blocker / "cache", precision="fp32")
    assert detector.runtime == "torch"
    assert len(detector.warnings) == 1 and detector.warnings[0].startswith("onnx → torch: matthan-det.pt")
    assert len(detector.detect(frames[0]).xyxy) > 0


def test_broken_onnx_weights_are_an_error_naming_nothing_invented(tmp_path: Path) -> None:
    junk = tmp_path / "broken.onnx"
    junk.write_bytes(b"\x08\x01" * 50)
    with pytest.raises(Exception):  # noqa: B017 — ONNX Runtime's own error; build_detector turns it into the motion fallback
        YoloDetector(junk, imgsz=480)


def test_an_image_size_off_the_models_stride_runs_at_the_next_size_on_it(frames: list[np.ndarray]) -> None:
    # a camera configured with imgsz 500 ran no detection on ONNX Runtime (its graph needs
    # multiples of 32); ultralytics' predictor rounds such a size up, and so do we
    odd, even = YoloDetector(WEIGHTS, imgsz=500), YoloDetector(WEIGHTS, imgsz=512)
    for image in frames:
        a, b = odd.detect(image), even.detect(image)
        assert len(a.xyxy) == len(b.xyxy) and np.array_equal(a.xyxy, b.xyxy)
