"""Multi-object tracking with ByteTrack (ultralytics' implementation) for any detector.

Contract: ``Tracker.update(detections)`` returns the detections that belong to confirmed
tracks, with ``track_id`` set and their boxes as detected — not the tracker's Kalman
estimate, which lags and overshoots when a vehicle's image motion changes (perspective),
and so biased ground speeds at low frame rates. One ``Tracker`` lives in a camera's pipeline
object and is reused across consecutive segments, so a vehicle crossing a segment boundary
keeps its id. A frame skipped by motion gating is simply not given to the tracker: tracks
keep their state until the next detection.

Association uses boxes enlarged by a buffer that grows as the detection rate falls
(the buffered-IoU idea of C-BIoU): at 6 fps a motorbike near the camera moves more than
its own length between frames, so its first two boxes do not overlap and plain IoU never
starts a track — fast vehicles were simply not tracked. The returned boxes are the
detected ones, never enlarged.

Fragments are stitched below ``STITCH_BELOW_FPS`` detections per second (at 25 fps ByteTrack's
own association holds, and in dense swarms stitching joined riders passing head-on): when
ByteTrack starts a new id, it takes over the id of a track
not seen for at most ``stitch_s`` seconds whose box, carried forward at its last image
velocity, overlaps the new box (buffered IoU ≥ ``stitch_iou``). ByteTrack loses a vehicle
when its Kalman state was learnt from boxes cut by the frame edge (wrong aspect and
growth) or after a missed detection at low frame rates; without stitching one vehicle
became two tracks, each too short to measure a speed or cross the count line.

Track ids are the tracker's own (ByteTrack's ids are mapped onto them). Every box ByteTrack
assigns to a track must fit where that track was going (its last box carried on at its
velocity, same kind of vehicle): below ``STITCH_BELOW_FPS`` only after ByteTrack lost and
found it again (buffered IoU ≥ ``stitch_iou``), at higher rates on every update (≥
``refit_iou``), and never one that would take the track back the way it came. A box that
does not fit starts a new track — a drifting Kalman box is easily
matched to another vehicle: at a junction to one crossing it, in swarms to one meeting it
head-on; the speed of such a joined track was a jump.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from ultralytics.trackers.byte_tracker import BYTETracker

from pipelines.classes import CLASSES, TWO_WHEELERS
from pipelines.detections import Detections
from pipelines.geometry import box_iou


STITCH_BELOW_FPS = 12.0
KIND_CHANGE_IOU = 0.5


class _TrackerInput:
    """The results-like view BYTETracker reads: conf, cls, xywh and boolean indexing."""

    def __init__(self, xywh: np.ndarray, conf: np.ndarray, cls: np.ndarray) -> None:
        self.xywh, self.conf, self.cls = xywh, conf, cls

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, mask: np.ndarray) -> _TrackerInput:
        return _TrackerInput(self.xywh[mask], self.conf[mask], self.cls[mask])


class Tracker:
    def __init__(self, *, fps: float, buffer_s: float = 2.0, high: float = 0.4, low: float = 0.1,
                 new: float = 0.45, match: float = 0.8, box_buffer: float | None = None,
                 stitch_s: float | None = None, stitch_iou: float = 0.3, video_fps: float | None = None,
                 refit_iou: float = 0.5) -> None:
        """``fps`` is the detection rate (what the tracker sees); ``video_fps`` the frame rate
        that ``frame_index`` counts in (default ``fps``)."""
        # each side grows by this share of the box: 0.15 at 25 fps, 0.78 at 6 fps, where a
        # 70 km/h motorbike near the camera moves 0.8 of its box height between frames
        self.box_buffer = min(0.8, 5.0 / max(fps, 1e-6) - 0.05) if box_buffer is None else box_buffer
        self.stitch_iou = stitch_iou
        if stitch_s is None:  # measured: needed below ~12 fps; at 25 fps in swarms it joined oncoming riders
            stitch_s = 1.0 if fps < STITCH_BELOW_FPS else 0.0
        # at high rates a box must fit where its track was going, closely: consecutive boxes of
        # one vehicle overlap by far more than this, a jump to a crossing vehicle by less
        self.refit_iou = refit_iou
        self._video_fps = video_fps or fps
        self._stitch_frames = int(round(stitch_s * (video_fps or fps)))  # 0: stitching off
        self._low_rate = fps < STITCH_BELOW_FPS
        # ByteTrack drops a lost track after buffer_s; ids quiet for longer never come back
        self._forget_frames = max(1, self._stitch_frames) + 2 * max(1, int(round(buffer_s * (video_fps or fps))))
        self._updates = 0
        self._next_id = 0
        self._alias: dict[int, int] = {}  # ByteTrack id → our track id
        self._previous: set[int] = set()  # ByteTrack ids output by the previous update
        self._memory: dict[int, _Seen] = {}
        self._bt = BYTETracker(SimpleNamespace(
            track_high_thresh=high, track_low_thresh=low, new_track_thresh=new,
            track_buffer=max(1, int(round(buffer_s * fps))), match_thresh=match, fuse_score=True))

    def update(self, detections: Detections, frame_index: int | None = None) -> Detections:
        """Tracked detections of this frame; ``frame_index`` (the video frame) lets stitching
        measure gaps in frames when motion gating skips some (default: one per update)."""
        self._updates += 1
        frame = self._updates if frame_index is None else frame_index
        xyxy = detections.xyxy.astype(np.float32)
        xywh = np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2,
                         xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]], axis=1) if len(xyxy) else \
            np.zeros((0, 4), np.float32)
        xywh[:, 2:] *= 1.0 + 2.0 * self.box_buffer
        out = self._bt.update(_TrackerInput(xywh, detections.confidence.astype(np.float32),
                                            detections.class_id.astype(np.float32)))
        if len(out) == 0:
            self._previous = set()
            return Detections(xyxy=np.zeros((0, 4), np.float32), confidence=np.zeros(0, np.float32),
                              class_id=np.zeros(0, np.int64), track_id=np.zeros(0, np.int64),
                              extra=detections.extra)
        idx = out[:, 7].astype(int)
        ids = self._stitch(out[:, 4].astype(np.int64), xyxy[idx], detections.class_id[idx], frame)
        return Detections(xyxy=xyxy[idx], confidence=out[:, 5].astype(np.float32),
                          class_id=detections.class_id[idx].astype(np.int64), track_id=ids,
                          extra=detections.extra)

    def _stitch(self, raw: np.ndarray, boxes: np.ndarray, classes: np.ndarray, frame: int) -> np.ndarray:
        ids = np.zeros(len(raw), np.int64)
        taken: set[int] = set()
        fresh = []
        for i, r in enumerate(raw):
            tid = self._alias.get(int(r))
            if tid is not None and tid not in taken:
                m = self._memory.get(tid)
                # ByteTrack re-finding a lost track may have matched another vehicle to its drifting
                # Kalman box; at high rates even a continuing one can jump to a vehicle crossing it
                needed: float | None = self.refit_iou  # at high rates on every update
                if self._low_rate:  # at low rates only after ByteTrack lost and found it again
                    needed = None if int(r) in self._previous else self.stitch_iou
                if m is None or (not _reverses(m, boxes[i], frame, self._video_fps)
                                 and not self._changes_kind(m, boxes[i], int(classes[i]), frame) and (needed is None or (
                        _GROUP[int(classes[i])] == _GROUP[m.class_id] and self._fit(m, boxes[i], frame) >= needed))):
                    ids[i] = tid
                    taken.add(tid)
                    continue
            fresh.append(i)
        pairs = []
        for i in fresh:
            for tid, m in self._memory.items():
                if (tid in taken or not 0 < frame - m.frame <= self._stitch_frames
                        or _GROUP[int(classes[i])] != _GROUP[m.class_id] or _reverses(m, boxes[i], frame, self._video_fps)):
                    continue
                iou = self._fit(m, boxes[i], frame)
                if iou >= self.stitch_iou:
                    pairs.append((iou, i, tid))
        stitched: dict[int, int] = {}
        for _, i, tid in sorted(pairs, reverse=True):
            if tid not in taken and i not in stitched:
                stitched[i] = tid
                taken.add(tid)
        for i in fresh:
            if i not in stitched:
                self._next_id += 1
                stitched[i] = self._next_id
            ids[i] = stitched[i]
            self._alias[int(raw[i])] = stitched[i]
        for i in range(len(raw)):
            tid = int(ids[i])
            box = boxes[i].astype(np.float64)
            old = self._memory.get(tid)
            velocity = np.zeros(4)
            if old is not None and frame > old.frame:
                step = (box - old.box) / (frame - old.frame)
                velocity = step if not old.velocity.any() else 0.5 * step + 0.5 * old.velocity
            point = (frame, float(box[0] + box[2]) / 2, float(box[3]))
            trail = tuple(p for p in (old.trail if old is not None else ()) if frame - p[0] <= 3 * self._video_fps)
            self._memory[tid] = _Seen(box=box, frame=frame, velocity=velocity, class_id=int(classes[i]),
                                      trail=(*trail, point))
        self._previous = {int(r) for r in raw}
        for tid in [t for t, m in self._memory.items() if frame - m.frame > self._forget_frames]:
            del self._memory[tid]
        # a ByteTrack id whose track has been forgotten is never trusted again: drop its alias
        self._alias = {r: t for r, t in self._alias.items() if t in self._memory}
        return ids

    def _changes_kind(self, memory: _Seen, box: np.ndarray, class_id: int, frame: int) -> bool:
        """The box is another kind of vehicle (two-wheeler / four-wheeler) away from where the
        track was going: ByteTrack's buffered boxes let a car's id pass to a rider stopping in
        front of it at 6 fps. A detector calling the same vehicle by the other kind for a frame
        has a box on the predicted one."""
        if _GROUP[class_id] == _GROUP[memory.class_id]:
            return False
        predicted = memory.box + memory.velocity * (frame - memory.frame)
        return box_iou(tuple(predicted), tuple(box)) < KIND_CHANGE_IOU

    def _fit(self, memory: _Seen, box: np.ndarray, frame: int) -> float:
        """Buffered IoU of ``box`` with the remembered box carried forward at its velocity."""
        predicted = memory.box + memory.velocity * (frame - memory.frame)
        return _buffered_iou(predicted, box, self.box_buffer)


@dataclass(frozen=True, slots=True)
class _Seen:
    """A track's last detected box, its frame, box velocity (pixels per frame, per corner),
    class, and its ground points (frame, x, y) over the last three seconds."""
    box: np.ndarray
    frame: int
    velocity: np.ndarray
    class_id: int
    trail: tuple[tuple[int, float, float], ...] = ()


# classes a detector confuses with each other; a fragment is stitched only within its group
_GROUP = tuple(0 if c in TWO_WHEELERS else 1 if c in ("car", "bus", "truck") else 2 for c in CLASSES)


def _reverses(memory: _Seen, box: np.ndarray, frame: int, fps: float) -> bool:
    """``box`` would take the track back the way it came: its ground point (bottom centre)
    steps against the way the track went over the last three seconds. No vehicle turns round
    between two detections; a tracker id that passed to a vehicle coming the other way does
    (at 6 fps a wrong-way rider's lost track was found again on a rider coming up the lane
    it was going down). Both moves must be clear of box jitter: the track went at least 0.3
    of its box height in 0.3–3 s, and the step is at least 0.1 of it (a half-hidden parked
    car's box edge jumps by 0.15 of its height, but such a car goes nowhere)."""
    if frame <= memory.frame:
        return False
    height = float(memory.box[3] - memory.box[1])
    past = [p for p in memory.trail if 0.3 * fps <= memory.frame - p[0] <= 3 * fps]
    if not past:
        return False
    now = np.array([(memory.box[0] + memory.box[2]) / 2, memory.box[3]])
    went = now - np.array(past[0][1:])
    step = np.array([(box[0] + box[2]) / 2, box[3]], np.float64) - now
    if np.hypot(*went) < 0.3 * height or np.hypot(*step) < 0.1 * height:
        return False
    return float(went @ step) / float(np.hypot(*went) * np.hypot(*step)) < -0.5


def _buffered_iou(a: np.ndarray, b: np.ndarray, buffer: float) -> float:
    def grow(x: np.ndarray) -> np.ndarray:
        w, h = x[2] - x[0], x[3] - x[1]
        return np.array([x[0] - buffer * w, x[1] - buffer * h, x[2] + buffer * w, x[3] + buffer * h])
    return box_iou(tuple(grow(a)), tuple(grow(b)))
