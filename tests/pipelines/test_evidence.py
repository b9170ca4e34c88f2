"""The evidence frame ring: live frames kept as JPEG, recorded frames re-read exactly from
their file, and a recording that disappeared leaves frames out instead of failing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from pipelines.evidence import FrameRing
from pipelines.frames import VideoFileSource
from simulator.clip import render_clip
from simulator.world import load_sim_scene

SCENES = Path(__file__).resolve().parents[2] / "data" / "scenes" / "sim"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scene = load_sim_scene(SCENES / "nga_tu_rach_gia.yaml")
    return render_clip(scene, seconds=3, seed=77, out_dir=tmp_path_factory.mktemp("ring"), name="ring").video


def test_recorded_frames_are_read_again_exactly(recording: Path) -> None:
    source = VideoFileSource(recording, camera_id="C", start_utc=datetime(2026, 3, 2, tzinfo=UTC))
    ring, live = FrameRing(fps=source.fps, seconds=10), FrameRing(fps=source.fps, seconds=10)
    decoded: dict[int, np.ndarray] = {}
    stamps: dict[int, datetime] = {}
    for frame in source:
        decoded[frame.index], stamps[frame.index] = frame.image, frame.at
        ring.push(frame.index, frame.at, frame.image, "red", recording=recording)
        live.push(frame.index, frame.at, frame.image, "red")
    source.close()
    again = ring.between(31, 52)
    assert [f.index for f in again] == list(range(31, 53))
    for f in again:
        assert f.jpeg is None and np.array_equal(f.image, decoded[f.index])  # the same frame, not a neighbour
        assert f.at == stamps[f.index] and f.signal == "red"
    kept = live.between(31, 52)
    assert all(f.image is None and f.jpeg and f.jpeg[:2] == b"\xff\xd8" for f in kept)


def test_a_vanished_recording_leaves_the_frames_out(recording: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(recording.read_bytes())
    ring = FrameRing(fps=25, seconds=4)
    for index in range(10):
        ring.push(index, datetime(2026, 3, 2, tzinfo=UTC), np.zeros((4, 4, 3), np.uint8), "green", recording=copy)
    copy.unlink()
    assert ring.between(0, 9) == []
