"""Feeds: video files (whole and windowed), bad files, HTTP snapshots and MJPEG streams over real HTTP."""

from __future__ import annotations

import socketserver
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipelines.frames import FeedError, SnapshotSource, StreamSource, VideoFileSource
from pipelines.video_writer import H264File
from tests.conftest import serving

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def numbered_frame(i: int) -> np.ndarray:
    img = np.zeros((120, 160, 3), np.uint8)
    img[:, :] = (i * 7 % 255, 80, 160)
    cv2.putText(img, str(i), (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
    return img


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("feeds") / "clip.mp4"
    writer = H264File(path, 160, 120, 10.0)
    for i in range(50):
        writer.write(numbered_frame(i))
    writer.close()
    return path


def test_video_file_frames_are_timestamped_from_the_start(clip: Path) -> None:
    source = VideoFileSource(clip, camera_id="C1", start_utc=T0)
    frames = list(source)
    source.close()
    assert len(frames) == 50 and source.fps == pytest.approx(10.0)
    assert frames[0].at == T0 and frames[10].at == T0 + timedelta(seconds=1)
    assert {f.camera_id for f in frames} == {"C1"} and not source.stats.truncated


def test_recorded_frames_are_decoded_when_looked_at(clip: Path) -> None:
    source = VideoFileSource(clip, camera_id="C1", start_utc=T0)
    looked: dict[int, np.ndarray] = {}
    earlier = None
    for frame in source:
        if frame.index % 7 == 3:
            looked[frame.index] = frame.image
            assert frame.image is looked[frame.index]  # decoded once
        if frame.index == 20:
            earlier = frame
    source.close()
    for index, image in looked.items():  # the picture of that frame, not a neighbour's
        assert np.abs(image.astype(int) - numbered_frame(index)).mean() < 6
    assert earlier is not None
    with pytest.raises(FeedError, match="frame 20 read after frame 49"):
        earlier.image  # noqa: B018 — too late: the decoder moved on


def test_segment_window_reads_t0_to_t1(clip: Path) -> None:
    source = VideoFileSource(clip, camera_id="C1", start_utc=T0, window=(2.0, 3.5))
    indices = [f.index for f in source]
    assert indices == list(range(20, 35))


@pytest.mark.parametrize(("name", "content"), [
    ("empty.mp4", b""),
    ("garbage.mp4", b"this is not a video at all" * 100),
    ("notes.txt", b"hello"),
])
def test_bad_files_fail_with_the_file_named(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FeedError, match=name):
        VideoFileSource(path, camera_id="C1", start_utc=T0)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="no such video file"):
        VideoFileSource(tmp_path / "nope.mp4", camera_id="C1", start_utc=T0)


def test_truncated_file_is_read_up_to_the_damage(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])  # faststart: the index is whole, the media data is cut
    source = VideoFileSource(cut, camera_id="C1", start_utc=T0)
    frames = list(source)
    assert 0 < len(frames) < 50
    assert source.stats.truncated and "decoding stopped" in source.stats.drops[0]


class _Camera(BaseHTTPRequestHandler):
    frames = 0
    fail = False

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        if type(self).fail:
            self.send_error(503)
            return
        if self.path.endswith("snapshot.jpg"):
            ok, buf = cv2.imencode(".jpg", numbered_frame(type(self).frames))
            type(self).frames += 1
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(buf)))
            self.end_headers()
            self.wfile.write(buf.tobytes())
            return
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        try:
            for i in range(15):  # then the camera drops the connection
                ok, buf = cv2.imencode(".jpg", numbered_frame(i))
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                 + str(len(buf)).encode() + b"\r\n\r\n" + buf.tobytes() + b"\r\n")
                time.sleep(0.02)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client under test hung up mid-stream: that is what the test exercises

    def log_message(self, *args: object) -> None:
        return  # keep the test output free of request logs


def test_snapshot_polling_over_http() -> None:
    _Camera.fail = False
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _Camera)) as url:
        source = SnapshotSource(f"{url}/snapshot.jpg", camera_id="C1", clock=lambda: T0, interval_s=0.01, count=4,
                                sleep=lambda s: None)
        frames = list(source)
    assert len(frames) == 4 and frames[0].image.shape == (120, 160, 3)


def test_snapshot_camera_down_is_a_feed_error_after_retries() -> None:
    _Camera.fail = True
    waits: list[float] = []
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _Camera)) as url:
        with pytest.raises(FeedError, match="no snapshot"):
            SnapshotSource(f"{url}/snapshot.jpg", camera_id="C1", clock=lambda: T0, max_retries=2, sleep=waits.append)
    assert len(waits) == 2 and waits[1] > waits[0]  # backoff grows
    _Camera.fail = False


def test_mjpeg_stream_drop_reconnects_then_gives_up_with_what_it_read() -> None:
    _Camera.fail = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Camera)
    waits: list[float] = []
    with serving(server) as url:
        source = StreamSource(f"{url}/stream.mjpeg", camera_id="C1", clock=lambda: T0, max_retries=1,
                              max_frames=40, sleep=waits.append)
        frames = []
        for frame in source:
            frames.append(frame)
            if len(frames) == 20:
                _Camera.fail = True  # camera goes down after the second connection starts
        source.close()
    _Camera.fail = False
    assert len(frames) >= 15
    assert any("stream dropped" in d for d in source.stats.drops)
    assert source.stats.truncated


def test_unreachable_stream_is_a_feed_error() -> None:
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as probe:
        port = probe.server_address[1]
    with pytest.raises(FeedError, match="unreachable"):
        StreamSource(f"http://127.0.0.1:{port}/stream.mjpeg", camera_id="C1", clock=lambda: T0, max_retries=1,
                     sleep=lambda s: None)
