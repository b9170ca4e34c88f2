"""The evidence frame ring: live frames kept as JPEG, recorded frames re-read exactly from
their file, and a recording that disappeared leaves frames out instead of failing; clips
copied from a recording show exactly the frames asked for, and other sources are encoded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipelines.clip_cut import ClipCutError, browser_playable, cut_clip, probe_video
from pipelines.evidence import EvidenceInput, FrameRing, frame_images, recording_window, write_evidence
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
    assert recording_window(again) == (recording, 31, 52)
    images = frame_images(again)
    for f in again:
        assert f.jpeg is None and np.array_equal(images[f.index], decoded[f.index])  # the same frame, not a neighbour
        assert f.at == stamps[f.index] and f.signal == "red"
    picked = frame_images([again[0], again[-1]])
    assert sorted(picked) == [31, 52] and np.array_equal(picked[52], decoded[52])
    kept = live.between(31, 52)
    assert all(f.recording is None and f.jpeg and f.jpeg[:2] == b"\xff\xd8" for f in kept)
    assert recording_window(kept) is None
    assert all(np.abs(frame_images(kept)[i].astype(int) - decoded[i]).mean() < 3 for i in (31, 52))


def test_recorded_frames_are_kept_longer_than_live_ones() -> None:
    ring = FrameRing(fps=25, seconds=2, recorded_seconds=60)
    at = datetime(2026, 3, 2, tzinfo=UTC)
    image = np.zeros((8, 8, 3), np.uint8)
    for index in range(1000):
        ring.push(index, at, image, "red", recording=Path("/nonexistent/rec.mp4"))
    assert ring.newest == 999 and len(ring._frames) == 1000
    live = FrameRing(fps=25, seconds=2, recorded_seconds=60)
    for index in range(1000):
        live.push(index, at, image, "red")
    assert [f.index for f in live.between(0, 999)] == list(range(950, 1000))


def test_a_vanished_recording_leaves_the_frames_out(recording: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(recording.read_bytes())
    ring = FrameRing(fps=25, seconds=4)
    for index in range(10):
        ring.push(index, datetime(2026, 3, 2, tzinfo=UTC), np.zeros((4, 4, 3), np.uint8), "green", recording=copy)
    copy.unlink()
    assert ring.between(0, 9) == []


def _frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, image = cap.read()
        if not ok:
            return out
        out.append(image)


def test_a_clip_copied_from_the_recording_starts_at_the_frame_asked_for(recording: Path, tmp_path: Path) -> None:
    info = probe_video(recording)
    assert info is not None and info.codec == "h264" and browser_playable(info)
    source = _frames(recording)
    fps = 25.0
    clip = cut_clip(recording, tmp_path / "clip.mp4", (37 - 0.5) / fps, (61 + 0.5) / fps)
    shown = _frames(clip)
    # starts at frame 37 although the keyframe before it is frame 0 (ffmpeg's edit list)
    assert np.array_equal(shown[0], source[37])
    assert all(np.array_equal(a, b) for a, b in zip(shown[:25], source[37:62], strict=True))
    assert len(shown) <= 25 + int(0.4 * fps) + 2


def test_probe_and_cut_name_what_is_wrong(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 10)
    assert probe_video(junk) is None and not browser_playable(None)
    with pytest.raises(ClipCutError, match="junk.mp4"):
        cut_clip(junk, tmp_path / "out.mp4", 0.0, 1.0)
    assert not (tmp_path / "out.mp4").exists()


def test_every_keyframe_says_what_the_rule_measured(tmp_path: Path) -> None:
    """The finding is written on each keyframe, above the caption bar; without one the picture
    there is the road."""
    ring = FrameRing(fps=25, seconds=10)
    at = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    image = np.full((360, 640, 3), 110, np.uint8)
    for index in range(50):
        ring.push(index, at, image, "red")
    boxes = {i: (300.0, 200.0, 340.0, 280.0) for i in range(50)}

    def keyframes(finding: str) -> list[np.ndarray]:
        root = tmp_path / (finding[:4] or "none")
        folder = root / write_evidence(root, EvidenceInput(
            violation_id="V1", camera_id="C1", violation_label="Dừng, đỗ sai quy định", hit_frame=25, occurred_at=at,
            frames=ring.between(0, 49), track_boxes=boxes, other_boxes={}, stop_line=None, plate_crop=None,
            plate_text=None, fps=25.0, timezone_label="02/03/2026 08:30:00 (GMT+7)", finding=finding))
        return [cv2.imread(str(folder / f"keyframe_{n}.jpg")).astype(int) for n in (1, 2, 3)]

    plain, measured = keyframes(""), keyframes("dừng 14 s trong vùng cấm dừng z1 (tối đa 10 s)")
    for a, b in zip(plain, measured):
        band = slice(360 - 62, 360 - 34)
        assert np.abs(a[band] - 110).mean() < 3  # the road
        assert b[band].mean() < 60 and (b[band] > 200).any()  # a dark bar with white text
        assert np.abs(a[:band.start] - b[:band.start]).mean() < 1  # the rest unchanged
