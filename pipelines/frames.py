"""Camera feeds: one ``FrameSource`` interface over video files, streams and HTTP snapshots.

Contract:
- Iterating a source yields ``VideoFrame`` records (camera id, UTC timestamp, frame index,
  BGR image) in order; ``close()`` releases the decoder or connection. A recording's frame
  is converted to BGR only when its ``image`` is first read — the pipeline does not look
  at most frames when it detects at 5 fps, and the conversion is 40 % of decoding — so
  read it before taking the next frame (later reads raise ``FeedError``).
- ``VideoFileSource`` timestamps frames from the recording's start time and fps and can
  read a window [t0, t1) (segment reading for scheduled jobs). A file that cannot be
  opened raises ``FeedError`` naming it; a file that ends before its declared length
  sets ``truncated``.
- ``StreamSource`` (RTSP / HTTP / MJPEG, through OpenCV's FFmpeg backend) reconnects
  with exponential backoff and gives up after ``max_retries`` consecutive failures,
  recording every drop in ``drops``.
- ``SnapshotSource`` polls an HTTP JPEG endpoint at a fixed interval.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np


class FeedError(RuntimeError):
    """A feed cannot be opened or read; the message names the source and the reason."""


class VideoFrame:
    """One frame: ``camera_id``, ``index``, ``at`` (UTC) and ``image`` (H×W×3 BGR uint8),
    given as an array or as the function that decodes it on first use."""

    __slots__ = ("camera_id", "index", "at", "_image", "_decode")

    def __init__(self, *, camera_id: str, index: int, at: datetime, image: np.ndarray | None = None,
                 decode: Callable[[], np.ndarray] | None = None) -> None:
        if image is None and decode is None:
            raise ValueError(f"frame {index}: needs an image or a decoder")
        self.camera_id = camera_id
        self.index = index
        self.at = at
        self._image = image
        self._decode = decode

    @property
    def image(self) -> np.ndarray:
        if self._image is None:
            assert self._decode is not None
            self._image = self._decode()
            self._decode = None
        return self._image


class FrameSource(Protocol):
    camera_id: str
    fps: float
    width: int
    height: int

    def __iter__(self) -> Iterator[VideoFrame]: ...

    def close(self) -> None: ...


@dataclass(kw_only=True)
class FeedStats:
    """What a source saw: frames decoded, reconnects, and why it stopped early."""

    frames: int = 0
    drops: list[str] = field(default_factory=list)
    truncated: bool = False


class VideoFileSource:
    """Frames of a video file, timestamped from ``start_utc`` at the file's fps."""

    def __init__(self, path: Path, *, camera_id: str, start_utc: datetime, window: tuple[float, float] | None = None,
                 ) -> None:
        if not path.is_file():
            raise FeedError(f"{path}: no such video file")
        if path.stat().st_size == 0:
            raise FeedError(f"{path}: the file is empty")
        self.path = path
        self.camera_id = camera_id
        self.start_utc = start_utc
        self.stats = FeedStats()
        self._cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            self._cap.release()
            raise FeedError(f"{path}: not a readable video (unsupported format or corrupt header)")
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS)) or 25.0
        if not 1.0 <= self.fps <= 240.0:
            self.fps = 25.0
        self.width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.declared_frames = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if self.width <= 0 or self.height <= 0:
            self._cap.release()
            raise FeedError(f"{path}: the video has no picture stream")
        t0, t1 = window if window is not None else (0.0, float("inf"))
        self._first = max(0, int(round(t0 * self.fps)))
        self._current = -1
        self._last = int(round(t1 * self.fps)) if t1 != float("inf") else None  # exclusive

    def __iter__(self) -> Iterator[VideoFrame]:
        if self._first:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, self._first)
        index = self._first
        while self._last is None or index < self._last:
            if not self._cap.grab():
                expected_end = self.declared_frames if self._last is None else min(self._last, self.declared_frames)
                if index < expected_end - 1:
                    self.stats.truncated = True
                    self.stats.drops.append(f"{self.path.name}: decoding stopped at frame {index} of {expected_end}")
                break
            self.stats.frames += 1
            self._current = index
            yield VideoFrame(camera_id=self.camera_id, index=index,
                             at=self.start_utc + timedelta(seconds=index / self.fps),
                             decode=lambda index=index: self._retrieve(index))
            index += 1

    def _retrieve(self, index: int) -> np.ndarray:
        if index != self._current:
            raise FeedError(f"{self.path.name}: frame {index} read after frame {self._current} was taken")
        ok, image = self._cap.retrieve()
        if not ok or image is None:
            self.stats.truncated = True
            self.stats.drops.append(f"{self.path.name}: frame {index} cannot be decoded")
            raise FeedError(f"{self.path.name}: frame {index} cannot be decoded")
        return image

    def close(self) -> None:
        self._cap.release()


class StreamSource:
    """A live stream (rtsp://, http(s):// MJPEG or HLS) with reconnect and backoff."""

    def __init__(self, url: str, *, camera_id: str, clock: Callable[[], datetime], max_retries: int = 5,
                 backoff_s: float = 0.5, max_backoff_s: float = 30.0, max_frames: int | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url
        self.camera_id = camera_id
        self.stats = FeedStats()
        self._clock = clock
        self._max_retries = max_retries
        self._backoff = backoff_s
        self._max_backoff = max_backoff_s
        self._max_frames = max_frames
        self._sleep = sleep
        self._cap: cv2.VideoCapture | None = None
        self._open()
        assert self._cap is not None
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS)) or 25.0
        if not 1.0 <= self.fps <= 120.0:
            self.fps = 25.0
        self.width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))

    def _open(self) -> None:
        failures = 0
        delay = self._backoff
        while True:
            cap = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG)
            if cap.isOpened():
                self._cap = cap
                return
            cap.release()
            failures += 1
            self.stats.drops.append(f"{self.url}: cannot connect (attempt {failures})")
            if failures > self._max_retries:
                raise FeedError(f"{self.url}: stream unreachable after {failures} attempts")
            self._sleep(delay)
            delay = min(delay * 2, self._max_backoff)

    def __iter__(self) -> Iterator[VideoFrame]:
        index = 0
        while self._max_frames is None or index < self._max_frames:
            assert self._cap is not None
            ok, image = self._cap.read()
            if not ok or image is None:
                self.stats.drops.append(f"{self.url}: stream dropped after frame {index}")
                self._cap.release()
                try:
                    self._open()
                except FeedError:
                    self.stats.truncated = True
                    return
                continue
            self.stats.frames += 1
            yield VideoFrame(camera_id=self.camera_id, index=index, at=self._clock(), image=image)
            index += 1

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()


class SnapshotSource:
    """JPEG snapshots polled over HTTP every ``interval_s`` (for cameras without a stream)."""

    def __init__(self, url: str, *, camera_id: str, clock: Callable[[], datetime], interval_s: float = 1.0,
                 count: int = 10, timeout_s: float = 5.0, max_retries: int = 3,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url
        self.camera_id = camera_id
        self.fps = 1.0 / interval_s
        self.stats = FeedStats()
        self._clock = clock
        self._interval = interval_s
        self._count = count
        self._timeout = timeout_s
        self._max_retries = max_retries
        self._sleep = sleep
        first = self._fetch()
        if first is None:
            raise FeedError(f"{url}: no snapshot after {max_retries + 1} attempts")
        self._first: np.ndarray | None = first
        self.height, self.width = first.shape[:2]

    def _fetch(self) -> np.ndarray | None:
        for attempt in range(self._max_retries + 1):
            try:
                with urllib.request.urlopen(self.url, timeout=self._timeout) as response:  # noqa: S310 (configured URL)
                    payload = response.read()
                image = cv2.imdecode(np.frombuffer(payload, np.uint8), cv2.IMREAD_COLOR)
                if image is not None:
                    return image
                self.stats.drops.append(f"{self.url}: response is not an image")
            except (urllib.error.URLError, OSError) as exc:
                self.stats.drops.append(f"{self.url}: {exc}")
            if attempt < self._max_retries:
                self._sleep(min(self._interval * 2 ** attempt, 30.0))
        return None

    def __iter__(self) -> Iterator[VideoFrame]:
        for index in range(self._count):
            image = self._first if index == 0 else self._fetch()
            self._first = None
            if image is None:
                self.stats.truncated = True
                return
            self.stats.frames += 1
            yield VideoFrame(camera_id=self.camera_id, index=index, at=self._clock(), image=image)
            if index + 1 < self._count:
                self._sleep(self._interval)

    def close(self) -> None:
        self._first = None
