"""Evidence for one violation, written atomically, and the frame ring it is cut from.

Contract:
- ``FrameRing`` keeps the last ``seconds`` of frames (bounded memory): frames of a live
  stream JPEG-encoded, because the stream cannot be read again; frames of a recording
  (the last ``recorded_seconds``) only as their index, decoded again from the file when a violation needs them
  (encoding every frame cost a fifth of the pipeline's time; violations are rare).
  ``frame_images`` decodes buffered frames.
- ``write_evidence(...)`` writes ``<root>/<camera>/<yyyy-mm-dd>/<violation_id>/`` with
  ``clip.mp4`` (H.264, a few seconds before and after, plays in Chromium; copied bit for
  bit from the recording when the frames are consecutive frames of an H.264 file, see
  ``clip_cut``, otherwise encoded), three annotated keyframes (approach, at the line / moment of the violation, after),
  ``plate.jpg`` and ``manifest.json`` (SHA-256 of every file, boxes to mask for viewers
  without personal-data permission). Everything goes to a temp folder that is renamed
  into place; re-processing replaces the folder. Returns the folder relative to root.
- ``verify_evidence(folder)`` (``analytics.evidence_manifest.verify_folder``) lists
  missing or altered files: tampering is detected.
"""

from __future__ import annotations

import logging
import shutil
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np

from analytics.evidence_manifest import EvidenceFile, EvidenceManifest, sha256_file, verify_folder, write_manifest
from pipelines.captions import Captions, phase_vi
from pipelines.clip_cut import ClipCutError, browser_playable, cut_clip, probe_video
from pipelines.video_writer import H264File

VN = timezone(timedelta(hours=7))

log = logging.getLogger(__name__)
verify_evidence = verify_folder
Box = tuple[float, float, float, float]


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class BufferedFrame:
    index: int
    at: datetime
    signal: str
    jpeg: bytes | None = None  # a live frame
    recording: Path | None = None  # a recorded frame: ``index`` is its number in this file


class FrameRing:
    """Live frames for the last ``seconds``; frames of a recording (a few bytes each) for the
    last ``recorded_seconds`` — a red-light runner who waits past the line through a whole
    red phase is judged when it enters the junction, a minute after the crossing the clip
    must show."""

    def __init__(self, *, fps: float, seconds: float, recorded_seconds: float = 150.0, quality: int = 88) -> None:
        self._live_max = max(2, int(round(fps * seconds)))
        self._frames: deque[BufferedFrame] = deque(maxlen=max(self._live_max, int(round(fps * recorded_seconds))))
        self._quality = [int(cv2.IMWRITE_JPEG_QUALITY), quality]

    def push(self, index: int, at: datetime, image: np.ndarray | None, signal: str, *,
             recording: Path | None = None) -> None:
        """Keep one frame; ``recording`` is the file it was decoded from (its ``index`` is the
        frame number in that file, and ``image`` may be None), None for a live frame."""
        if recording is not None:
            self._frames.append(BufferedFrame(index=index, at=at, signal=signal, recording=recording))
            return
        if image is None:
            raise ValueError(f"frame {index}: a live frame must come with its image")
        ok, buf = cv2.imencode(".jpg", image, self._quality)
        if ok:
            self._frames.append(BufferedFrame(index=index, at=at, signal=signal, jpeg=buf.tobytes()))
        while len(self._frames) > self._live_max and self._frames[0].jpeg is not None:
            self._frames.popleft()

    def between(self, first: int, last: int) -> list[BufferedFrame]:
        """Frames with ``first <= index <= last`` in order, not decoded (``frame_images``);
        frames of a recording that is gone are left out."""
        kept = [f for f in self._frames if first <= f.index <= last]
        present = {path: path.is_file() for path in {f.recording for f in kept if f.recording is not None}}
        return [f for f in kept if f.recording is None or present[f.recording]]

    @property
    def newest(self) -> int:
        return self._frames[-1].index if self._frames else -1


def frame_images(frames: Sequence[BufferedFrame]) -> dict[int, np.ndarray]:
    """Decoded pictures of ``frames`` by index: live frames from their JPEG, recorded frames
    read again from their file (exact: the decoder seeks to the keyframe before the first
    and decodes forward, converting only the frames asked for). Frames that cannot be
    read (file damaged) are missing from the result."""
    out: dict[int, np.ndarray] = {}
    for f in frames:
        if f.jpeg is not None:
            image = cv2.imdecode(np.frombuffer(f.jpeg, np.uint8), cv2.IMREAD_COLOR)
            if image is not None:
                out[f.index] = image
    for path in {f.recording for f in frames if f.recording is not None}:
        out.update(_reread(path, {f.index for f in frames if f.recording == path}))
    return out


def _reread(path: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    out: dict[int, np.ndarray] = {}
    try:
        if not cap.isOpened() or not wanted:
            return out
        cap.set(cv2.CAP_PROP_POS_FRAMES, min(wanted))
        for index in range(min(wanted), max(wanted) + 1):
            if not cap.grab():
                break
            if index in wanted:
                ok, image = cap.retrieve()
                if ok and image is not None:
                    out[index] = image
    finally:
        cap.release()
    return out


def recording_window(frames: Sequence[BufferedFrame]) -> tuple[Path, int, int] | None:
    """``(file, first, last)`` when ``frames`` are consecutive frames of one recording."""
    paths = {f.recording for f in frames}
    if len(paths) != 1 or None in paths or not frames:
        return None
    indices = [f.index for f in frames]
    if indices != list(range(indices[0], indices[0] + len(indices))):
        return None
    return frames[0].recording, indices[0], indices[-1]  # type: ignore[return-value]


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class EvidenceInput:
    violation_id: str
    camera_id: str
    violation_label: str  # shown on keyframes
    hit_frame: int
    occurred_at: datetime
    frames: Sequence[BufferedFrame]
    track_boxes: dict[int, Box]  # frame index → box of the violating vehicle
    other_boxes: dict[int, list[Box]]  # frame index → other vehicles (masked for viewers)
    stop_line: tuple[tuple[float, float], tuple[float, float]] | None
    plate_crop: np.ndarray | None
    plate_text: str | None
    fps: float
    timezone_label: str  # e.g. "22/11/2026 08:30:15 (GMT+7)"
    finding: str = ""  # what the rule measured, written on every keyframe above the caption


def _nearest_box(boxes: dict[int, Box], index: int) -> Box | None:
    if not boxes:
        return None
    key = min(boxes, key=lambda k: abs(k - index))
    return boxes[key] if abs(key - index) <= 12 else None


def _annotate(image: np.ndarray, ev: EvidenceInput, frame: BufferedFrame, caption: str) -> np.ndarray:
    img = image.copy()
    if ev.stop_line is not None:
        (x1, y1), (x2, y2) = ev.stop_line
        cv2.line(img, (int(x1), int(y1)), (int(x2), int(y2)), (0, 0, 255) if frame.signal == "red" else (0, 200, 255), 2)
    box = _nearest_box(ev.track_boxes, frame.index)
    if box is not None:
        x1, y1, x2, y2 = (int(v) for v in box)
        cv2.rectangle(img, (x1, y1), (x2, y2), (0, 0, 255), 3)
    h, w = img.shape[:2]
    cv2.rectangle(img, (0, h - 34), (w, h), (0, 0, 0), -1)
    local = frame.at.astimezone(VN).strftime("%d/%m/%Y %H:%M:%S")
    text = f"{caption} | {ev.violation_label} | đèn: {phase_vi(frame.signal)} | {local} (GMT+7) | {ev.camera_id}"
    captions = Captions(img).add(text[:140], (10, h - 27), size=17)
    if ev.finding:
        cv2.rectangle(img, (0, h - 62), (w, h - 34), (0, 0, 0), -1)
        captions.add(f"Kết quả đo: {ev.finding}"[:140], (10, h - 55), size=17)
    return captions.render()


def _redact(ev: EvidenceInput, index: int) -> tuple[tuple[int, int, int, int], ...]:
    boxes = list(ev.other_boxes.get(index, []))
    own = _nearest_box(ev.track_boxes, index)
    if own is not None:
        boxes.append(own)
    # plates and riders: mask the whole vehicle box for viewers without personal-data permission
    return tuple((int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in boxes)


def _write_clip(path: Path, ev: EvidenceInput) -> None:
    """The clip: copied from the recording when its frames are consecutive frames of an
    H.264 4:2:0 file (``clip_cut``), otherwise — or when the copy fails, logged with
    ffmpeg's reason — encoded from the frames."""
    window = recording_window(ev.frames)
    if window is not None and browser_playable(probe_video(window[0])):
        source, first, last = window
        try:
            cut_clip(source, path, (first - 0.5) / ev.fps, (last + 0.5) / ev.fps)
            return
        except ClipCutError as exc:
            log.warning("%s: copying the clip failed, encoding it instead: %s", ev.violation_id, exc)
    images = frame_images(ev.frames)
    frames = [images[f.index] for f in ev.frames if f.index in images]
    if not frames:
        raise ValueError(f"{ev.violation_id}: none of the buffered frames can be decoded")
    h, w = frames[0].shape[:2]
    writer = H264File(path, w, h, ev.fps, comment=f"Mat Than evidence {ev.violation_id}")
    try:
        for image in frames:
            writer.write(image)
        writer.close()
    except BaseException:
        writer.abort()
        raise


def write_evidence(root: Path, ev: EvidenceInput) -> str:
    """Write the folder for ``ev``; returns its path relative to ``root``."""
    if not ev.frames:
        raise ValueError(f"{ev.violation_id}: no frames buffered for the evidence clip")
    relative = f"{ev.camera_id}/{ev.occurred_at.strftime('%Y-%m-%d')}/{ev.violation_id}"
    final = root / relative
    tmp = final.with_name(f".{final.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        _write_clip(tmp / "clip.mp4", ev)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = [EvidenceFile(name="clip.mp4", sha256=sha256_file(tmp / "clip.mp4"), kind="clip", personal=True)]
    track_frames = [f for f in ev.frames if f.index in ev.track_boxes] or list(ev.frames)
    at_line = min(ev.frames, key=lambda f: abs(f.index - ev.hit_frame))
    picks = [("1 – tiếp cận", track_frames[0]), ("2 – thời điểm vi phạm", at_line), ("3 – sau vi phạm", track_frames[-1])]
    if picks[0][1].index >= at_line.index:  # the track started at the hit: take the clip's first frame
        picks[0] = ("1 – tiếp cận", ev.frames[0])
    images = frame_images([frame for _, frame in picks])
    for number, (caption, frame) in enumerate(picks, start=1):
        if frame.index not in images:
            continue
        name = f"keyframe_{number}.jpg"
        image = _annotate(images[frame.index], ev, frame, caption)
        cv2.imwrite(str(tmp / name), image, [int(cv2.IMWRITE_JPEG_QUALITY), 92])
        files.append(EvidenceFile(name=name, sha256=sha256_file(tmp / name), kind="keyframe", personal=True,
                                  redact=_redact(ev, frame.index)))
    if ev.plate_crop is not None and ev.plate_crop.size:
        cv2.imwrite(str(tmp / "plate.jpg"), ev.plate_crop, [int(cv2.IMWRITE_JPEG_QUALITY), 95])
        ph, pw = ev.plate_crop.shape[:2]
        files.append(EvidenceFile(name="plate.jpg", sha256=sha256_file(tmp / "plate.jpg"), kind="plate",
                                  personal=True, redact=((0, 0, pw, ph),)))
    write_manifest(tmp, EvidenceManifest(violation_id=ev.violation_id, files=tuple(files)))
    if final.exists():
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        final.replace(old)
        tmp.replace(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.replace(final)
    return relative
