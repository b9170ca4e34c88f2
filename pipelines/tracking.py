"""Multi-object tracking with ByteTrack (ultralytics' implementation) for any detector.

Contract: ``Tracker.update(detections)`` returns the detections that belong to confirmed
tracks, with ``track_id`` set and their boxes as detected — not the tracker's Kalman
estimate, which lags and overshoots when a vehicle's image motion changes (perspective),
and so biased ground speeds at low frame rates. One ``Tracker`` lives in a camera's pipeline object and
is reused across consecutive segments, so a vehicle crossing a segment boundary keeps
its id. A frame skipped by motion gating is simply not
given to the tracker: tracks keep their state until the next detection.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from ultralytics.trackers.byte_tracker import BYTETracker

from pipelines.detections import Detections


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
                 new: float = 0.45, match: float = 0.8) -> None:
        self._bt = BYTETracker(SimpleNamespace(
            track_high_thresh=high, track_low_thresh=low, new_track_thresh=new,
            track_buffer=max(1, int(round(buffer_s * fps))), match_thresh=match, fuse_score=True))

    def update(self, detections: Detections) -> Detections:
        xyxy = detections.xyxy.astype(np.float32)
        xywh = np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2,
                         xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]], axis=1) if len(xyxy) else \
            np.zeros((0, 4), np.float32)
        out = self._bt.update(_TrackerInput(xywh, detections.confidence.astype(np.float32),
                                            detections.class_id.astype(np.float32)))
        if len(out) == 0:
            return Detections(xyxy=np.zeros((0, 4), np.float32), confidence=np.zeros(0, np.float32),
                              class_id=np.zeros(0, np.int64), track_id=np.zeros(0, np.int64),
                              extra=detections.extra)
        idx = out[:, 7].astype(int)
        return Detections(xyxy=xyxy[idx], confidence=out[:, 5].astype(np.float32),
                          class_id=detections.class_id[idx].astype(np.int64), track_id=out[:, 4].astype(np.int64),
                          extra=detections.extra)
