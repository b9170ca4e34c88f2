"""Image geometry for the rules: polygons, line sides and the image→ground homography.

Contract: ``GroundMap.from_calibration`` builds the homography from a scene config's 4
image points and 4 (lon, lat) points; ``to_ground`` maps pixels to metres on a local
east/north plane, so distances and speeds come out in metres and m/s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

Point = tuple[float, float]
EARTH_M_PER_DEG = 111_320.0


def inside(polygon: Sequence[Point], point: Point) -> bool:
    """Point in polygon (even-odd rule); points on the edge count as inside."""
    contour = np.asarray(polygon, dtype=np.float32).reshape(-1, 1, 2)
    return cv2.pointPolygonTest(contour, (float(point[0]), float(point[1])), False) >= 0


def side_of_line(line: tuple[Point, Point], point: Point) -> float:
    """Signed distance-like value: > 0 on one side of the infinite line, < 0 on the other."""
    (x1, y1), (x2, y2) = line
    return (x2 - x1) * (point[1] - y1) - (y2 - y1) * (point[0] - x1)


@dataclass(frozen=True, slots=True)
class GroundMap:
    """Pixel → ground metres (local tangent plane at the first calibration point)."""

    matrix: np.ndarray  # 3×3 homography, pixels → metres

    @classmethod
    def from_calibration(cls, image_points: Sequence[Point], ground_lonlat: Sequence[Point]) -> GroundMap:
        lon0, lat0 = ground_lonlat[0]
        k = math.cos(math.radians(lat0))
        metres = [((lon - lon0) * EARTH_M_PER_DEG * k, (lat - lat0) * EARTH_M_PER_DEG) for lon, lat in ground_lonlat]
        matrix = cv2.getPerspectiveTransform(np.asarray(image_points, dtype=np.float32),
                                             np.asarray(metres, dtype=np.float32))
        return cls(matrix=matrix)

    def to_ground(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) pixels → (N, 2) metres."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, self.matrix).reshape(-1, 2)

    def metres_per_pixel(self, point: Point) -> float:
        """Ground metres covered by one horizontal pixel at ``point`` (perspective scale)."""
        a, b = self.to_ground(np.array([point, (point[0] + 1.0, point[1])]))
        return float(np.hypot(*(b - a)))

    def depth_metres_per_pixel(self, point: Point) -> float:
        """Ground metres covered by one vertical pixel at ``point`` (foreshortened depth scale)."""
        a, b = self.to_ground(np.array([point, (point[0], point[1] + 1.0)]))
        return float(np.hypot(*(b - a)))


def box_intersection(a: Sequence[float], b: Sequence[float]) -> float:
    """Area shared by two (x1, y1, x2, y2) boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes."""
    inter = box_intersection(a, b)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def box_share_on(box: Sequence[float], other: Sequence[float]) -> float:
    """Share of ``box``'s area that lies on ``other``."""
    area = (box[2] - box[0]) * (box[3] - box[1])
    return box_intersection(box, other) / area if area > 0 else 0.0


def box_nested_share(a: Sequence[float], b: Sequence[float]) -> float:
    """How much one box lies on the other, whichever is inside the other (a box grown by
    something merging into it still holds the box it was)."""
    return max(box_share_on(a, b), box_share_on(b, a))


def ground_velocity(times: Sequence[float], points: Sequence[Sequence[float]]) -> tuple[float, float]:
    """Least-squares velocity (units per second) of ground ``points`` seen at ``times`` (s)."""
    t, xy = np.asarray(times, float), np.asarray(points, float)
    return float(np.polyfit(t, xy[:, 0], 1)[0]), float(np.polyfit(t, xy[:, 1], 1)[0])
