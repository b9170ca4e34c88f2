"""Where a vehicle is relative to the stop line, in metres (or pixels when uncalibrated).

Contract: ``StopLineGeometry.position(obs)`` is the signed distance of the vehicle's
front past the stop line along the approach direction: negative while approaching,
positive once over the line; ``None`` when the vehicle is beside the line's extent
(other carriageway). The approach side comes from the directions of the lanes the
line spans, so wrong-way traffic crossing it towards the camera reads as moving back.
"""

from __future__ import annotations

import numpy as np

from analytics.scene_config import SceneConfig
from pipelines.geometry import GroundMap, inside, side_of_line
from pipelines.rules.base import Observation, Point


class StopLineGeometry:
    def __init__(self, config: SceneConfig, ground: GroundMap | None) -> None:
        if config.stop_line is None:
            raise ValueError("the scene has no stop_line")
        a, b = config.stop_line
        self._ground = ground
        directions = []
        for t in (0.1, 0.5, 0.9):
            px = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
            for lane in config.lanes:
                if inside(lane.polygon, (px[0], px[1] + 2)) or inside(lane.polygon, (px[0], px[1] - 2)):
                    directions.append(lane.direction)
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        if directions:
            d = np.mean(np.asarray(directions, float), axis=0)
            approach_px = (mid[0] - d[0] * 30, mid[1] - d[1] * 30)
        else:
            approach_px = (config.frame.width / 2, float(config.frame.height))
        if ground is not None:
            ga, gb, gp = ground.to_ground(np.array([a, b, approach_px]))
            self._line: tuple[Point, Point] = ((float(ga[0]), float(ga[1])), (float(gb[0]), float(gb[1])))
            approach = (float(gp[0]), float(gp[1]))
        else:
            self._line = (a, b)
            approach = approach_px
        (x1, y1), (x2, y2) = self._line
        self._length = float(np.hypot(x2 - x1, y2 - y1))
        self._approach_sign = 1.0 if side_of_line(self._line, approach) > 0 else -1.0
        self.calibrated = ground is not None
        self.margin = 0.5 if self.calibrated else 4.0

    def position(self, obs: Observation) -> float | None:
        point = obs.front if (self.calibrated and obs.front is not None) else obs.point
        (x1, y1), (x2, y2) = self._line
        t = ((point[0] - x1) * (x2 - x1) + (point[1] - y1) * (y2 - y1)) / (self._length ** 2)
        if t < -0.1 or t > 1.1:
            return None
        signed = side_of_line(self._line, point) / self._length
        return -self._approach_sign * signed
