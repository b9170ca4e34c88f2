"""Motion detector: background subtraction that needs no weights.

Contract: ``MotionDetector.detect(image)`` returns boxes of moving (or recently stopped)
road users on the configured road area, classified by their ground width in metres
(perspective-aware through the scene's homography). MOG2 with shadow detection runs on
a downscaled grey-equalised frame (robust to lighting drift); shadows, the burnt-in
timestamp and everything off the road are ignored. ``motion_fraction`` is the share of
watched pixels that changed in the last frame, used for motion gating. A gate
(``whole_frame=True``) watches the whole picture but the timestamp: vehicles come into the
configured lanes from the junction and the far road, and a gate that watched only the lanes
let the detector sleep while a wrong-way rider crossed the junction towards them — its track
was lost at one detection a second. The gate shrinks the frame by averaging pixels, as the
detector does: picking pixels (nearest neighbour) halved its cost but broke a moving bus's
texture into specks that the opening removed, and the gate slept while a bus drove in.
"""

from __future__ import annotations

import cv2
import numpy as np

from analytics.scene_config import SceneConfig
from pipelines.classes import CLASSES
from pipelines.detections import Detections
from pipelines.geometry import GroundMap

WORK_WIDTH = 640
GATE_WIDTH = 320  # a gate only needs how much of the picture moves, not the blobs


class MotionDetector:
    name = "motion"
    helmet_classes = False
    track_confidence = 0.0  # every blob has the same confidence: it is no evidence for or against a track

    def __init__(self, config: SceneConfig, *, learning_rate: float = 0.002, work_width: int = WORK_WIDTH,
                 whole_frame: bool = False) -> None:
        w, h = config.frame.width, config.frame.height
        self._scale = min(1.0, work_width / w)
        self._size = (int(round(w * self._scale)), int(round(h * self._scale)))
        self._subtractor = cv2.createBackgroundSubtractorMOG2(history=500, varThreshold=24, detectShadows=True)
        self._learning_rate = learning_rate
        self._frames = 0
        road = np.zeros((self._size[1], self._size[0]), np.uint8)
        polygons = [] if whole_frame else [lane.polygon for lane in config.lanes] + [
            z.polygon for z in config.no_stopping_zones]
        for polygon in polygons:
            pts = np.round(np.asarray(polygon) * self._scale).astype(np.int32)
            cv2.fillPoly(road, [pts], 255)
        if not polygons:
            road[:] = 255
        if config.timestamp_mask is not None:
            x, y, mw, mh = (int(round(v * self._scale)) for v in config.timestamp_mask)
            road[y:y + mh, x:x + mw] = 0
        # let vehicles partly outside the lanes (tall boxes, kerb-side parking) keep their whole blob
        grow = max(3, int(round(15 * work_width / WORK_WIDTH)) | 1)
        self._road = cv2.dilate(road, np.ones((grow, grow), np.uint8))
        self._road_pixels = max(1, int(np.count_nonzero(road)))
        self._ground = GroundMap.from_calibration(config.speed.image_points, config.speed.ground_points) \
            if config.speed is not None else None
        self.motion_fraction = 0.0

    def _foreground(self, image: np.ndarray) -> np.ndarray:
        small = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        rate = max(self._learning_rate, 1.0 / (self._frames + 1)) if self._frames < 50 else self._learning_rate
        self._frames += 1
        mask = self._subtractor.apply(small, learningRate=rate)
        _, mask = cv2.threshold(mask, 200, 255, cv2.THRESH_BINARY)  # drop shadows (127)
        mask = cv2.bitwise_and(mask, self._road)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
        return mask

    def classify(self, box: np.ndarray) -> int:
        """Our class id for a box in full-frame pixels, from its ground width."""
        x1, y1, x2, y2 = box
        if self._ground is None:
            width_m = (x2 - x1) / 80.0
        else:
            width_m = (x2 - x1) * self._ground.metres_per_pixel(((x1 + x2) / 2, y2))
        if width_m < 1.25:
            return CLASSES.index("motorbike")
        if width_m < 2.6:
            return CLASSES.index("car")
        return CLASSES.index("truck")

    @property
    def frames_seen(self) -> int:
        """Frames given so far; the background model is still being learnt in the first ones."""
        return self._frames

    def measure(self, image: np.ndarray) -> float:
        """Learn ``image`` into the background and return ``motion_fraction`` — what a gate
        needs, without finding and classifying the blobs."""
        self._measure(image)
        return self.motion_fraction

    def _measure(self, image: np.ndarray) -> np.ndarray:
        mask = self._foreground(image)
        self.motion_fraction = float(np.count_nonzero(mask)) / self._road_pixels
        return mask

    def detect(self, image: np.ndarray) -> Detections:
        mask = self._measure(image)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        boxes, classes = [], []
        inv = 1.0 / self._scale
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            if w * h < 40 or w < 5 or h < 5:
                continue
            box = np.array([x * inv, y * inv, (x + w) * inv, (y + h) * inv], np.float32)
            if self._ground is not None:
                width_m = (box[2] - box[0]) * self._ground.metres_per_pixel(((box[0] + box[2]) / 2, box[3]))
                if width_m < 0.35 or width_m > 6.0:
                    continue
            boxes.append(box)
            classes.append(self.classify(box))
        if not boxes:
            return Detections.empty()
        return Detections(xyxy=np.stack(boxes), confidence=np.full(len(boxes), 0.6, np.float32),
                          class_id=np.asarray(classes, np.int64))
