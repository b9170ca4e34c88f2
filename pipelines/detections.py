"""The per-frame detection record that flows from a detector to the tracker.

Contract: ``Detections`` holds N boxes as numpy arrays: ``xyxy`` (N×4 pixels of the full
frame), ``confidence`` (N), ``class_id`` (N, our ``CLASSES`` indices) and, after
tracking, ``track_id`` (N). ``extra`` carries boxes of auxiliary classes a model may
have (e.g. heads without a helmet) keyed by class name. Frozen: stages make new ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class Detections:
    xyxy: np.ndarray
    confidence: np.ndarray
    class_id: np.ndarray
    track_id: np.ndarray | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Detections:
        return cls(xyxy=np.zeros((0, 4), np.float32), confidence=np.zeros(0, np.float32),
                   class_id=np.zeros(0, np.int64))

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def select(self, mask: np.ndarray) -> Detections:
        return Detections(xyxy=self.xyxy[mask], confidence=self.confidence[mask], class_id=self.class_id[mask],
                          track_id=None if self.track_id is None else self.track_id[mask], extra=self.extra)
