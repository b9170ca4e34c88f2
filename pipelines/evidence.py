"""Evidence for one violation, written atomically, and the frame ring it is cut from.

Contract:
- ``FrameRing`` keeps the last ``seconds`` of frames (bounded memory): frames of a live
  stream JPEG-encoded, because the stream cannot be read again; frames of a recording
  only as their index, decoded again from the file when a violation needs them
  (encoding every frame cost a fifth of the pipeline's time; violations are rare).
- ``write_evidence(...)`` writes ``<root>/<camera>/<yyyy-mm-dd>/<violation_id>/`` with
  ``clip.mp4`` (H.264, a few seconds before and after, plays in Chromium), three
  annotated keyframes (approach, at the line / moment of the violation, after),
  ``plate.jpg`` and ``manifest.json`` (SHA-256 of every file, boxes to mask for viewers
  without personal-data permission). Everything goes to a temp folder that is renamed
  into place; re-processing replaces the folder. Returns the folder relative to root.
- ``verify_evidence(folder)`` (``analytics.evidence_manifest.verify_folder``) lists
  missing or altered files: tampering is detected.
"""

from __future__ import annotations

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
from pipelines.video_writer import H264File

VN = timezone(timedelta(hours=7))

verify_evidence = verify_folder
Box = tuple[float, float, float, float]


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class BufferedFrame:
    index: int
    at: datetime
    signal: str
    jpeg: bytes | None = None
    image: np.ndarray | None = None  # decoded again from a recording


@dataclass(frozen=True, kw_only=True, slots=True)
class _Kept:
    index: int
    at: datetime
    signal: str
    jpeg: bytes | None  # live frames
    recording: Path | None  # frames of a file: read again on demand


class FrameRing:
    def __init__(self, *, fps: float, seconds: float, quality: int = 88) -> None:
        self._frames: deque[_Kept] = deque(maxlen=max(2, int(round(fps * seconds))))
        self._quality = [int(cv2.IMWRITE_JPEG_QUALITY), quality]

    def push(self, index: int, at: datetime, image: np.ndarray, signal: str, *,
             recording: Path | None = None) -> None:
        """Keep one frame; ``recording`` is the file it was decoded from (its ``index`` is the
        frame number in that file), None for a live frame."""
        if recording is not None:
            self._frames.append(_Kept(index=index, at=at, signal=signal, jpeg=None, recording=recording))
            return
        ok, buf = cv2.imencode(".jpg", image, self._quality)
        if ok:
            self._frames.append(_Kept(index=index, at=at, signal=signal, jpeg=buf.tobytes(), recording=None))

    def between(self, first: int, last: int) -> list[BufferedFrame]:
        """Frames with ``first <= index <= last`` in order; recorded frames that can no longer
        be read (file gone or damaged) are left out."""
        kept = [f for f in self._frames if first <= f.index <= last]
        images: dict[tuple[Path, int], np.ndarray] = {}
        for path in {f.recording for f in kept if f.recording is not None}:
            wanted = [f.index for f in kept if f.recording == path]
            images.update(((path, i), image) for i, image in _reread(path, min(wanted), max(wanted)).items())
        out = []
        for f in kept:
            if f.recording is None:
                out.append(BufferedFrame(index=f.index, at=f.at, signal=f.signal, jpeg=f.jpeg))
            elif (f.recording, f.index) in images:
                out.append(BufferedFrame(index=f.index, at=f.at, signal=f.signal, image=images[(f.recording, f.index)]))
        return out

    @property
    def newest(self) -> int:
        return self._frames[-1].index if self._frames else -1


def _reread(path: Path, first: int, last: int) -> dict[int, np.ndarray]:
    """Frames ``first..last`` of a video file (exact: the decoder seeks to the keyframe
    before ``first`` and decodes forward)."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    out: dict[int, np.ndarray] = {}
    try:
        if not cap.isOpened():
            return out
        cap.set(cv2.CAP_PROP_POS_FRAMES, first)
        for index in range(first, last + 1):
            ok, image = cap.read()
            if not ok or image is None:
                break
            out[index] = image
    finally:
        cap.release()
    return out


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


def _decode(frame: BufferedFrame) -> np.ndarray:
    if frame.image is not None:
        return frame.image
    return cv2.imdecode(np.frombuffer(frame.jpeg or b"", np.uint8), cv2.IMREAD_COLOR)


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
    return Captions(img).add(text[:140], (10, h - 27), size=17).render()


def _redact(ev: EvidenceInput, index: int) -> tuple[tuple[int, int, int, int], ...]:
    boxes = list(ev.other_boxes.get(index, []))
    own = _nearest_box(ev.track_boxes, index)
    if own is not None:
        boxes.append(own)
    # plates and riders: mask the whole vehicle box for viewers without personal-data permission
    return tuple((int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in boxes)


def write_evidence(root: Path, ev: EvidenceInput) -> str:
    """Write the folder for ``ev``; returns its path relative to ``root``."""
    if not ev.frames:
        raise ValueError(f"{ev.violation_id}: no frames buffered for the evidence clip")
    relative = f"{ev.camera_id}/{ev.occurred_at.strftime('%Y-%m-%d')}/{ev.violation_id}"
    final = root / relative
    tmp = final.with_name(f".{final.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    first = _decode(ev.frames[0])
    h, w = first.shape[:2]
    writer = H264File(tmp / "clip.mp4", w, h, ev.fps, comment=f"Mat Than evidence {ev.violation_id}")
    try:
        for frame in ev.frames:
            image = first if frame is ev.frames[0] else _decode(frame)
            writer.write(image)
        writer.close()
    except BaseException:
        writer.abort()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = [EvidenceFile(name="clip.mp4", sha256=sha256_file(tmp / "clip.mp4"), kind="clip", personal=True)]
    track_frames = [f for f in ev.frames if f.index in ev.track_boxes] or list(ev.frames)
    at_line = min(ev.frames, key=lambda f: abs(f.index - ev.hit_frame))
    picks = [("1 – tiếp cận", track_frames[0]), ("2 – thời điểm vi phạm", at_line), ("3 – sau vi phạm", track_frames[-1])]
    if picks[0][1].index >= at_line.index:  # the track started at the hit: take the clip's first frame
        picks[0] = ("1 – tiếp cận", ev.frames[0])
    for number, (caption, frame) in enumerate(picks, start=1):
        name = f"keyframe_{number}.jpg"
        image = _annotate(_decode(frame), ev, frame, caption)
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
