"""Motion detector and motion gate: what they watch.

The detector looks for vehicles on the configured road only; the gate watches the whole
picture but the timestamp, so a vehicle crossing the junction towards the lanes keeps the
detector awake."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.detect_motion import GATE_WIDTH, MotionDetector
from tests.pipelines.test_rules import CONFIG  # lanes cover x 400–880 of a 1280×720 frame

ROAD_GREY = 90


def frames_with_a_box_moving(x0: int, y: int, *, frames: int = 60, step: int = 6) -> list[np.ndarray]:
    """A still grey picture, then a bright 60×100 box moving right from ``x0``."""
    out = []
    for i in range(frames):
        image = np.full((720, 1280, 3), ROAD_GREY, np.uint8)
        if i >= 40:
            x = x0 + step * (i - 40)
            image[y:y + 100, x:x + 60] = 230
        out.append(image)
    return out


@pytest.mark.parametrize(("name", "x0", "whole_frame", "moves"), [
    ("detector: a vehicle in a lane", 600, False, True),
    ("detector: something moving off the configured road", 60, False, False),
    ("gate: a vehicle in the junction outside every lane", 60, True, True),
    ("gate: a vehicle in a lane", 600, True, True),
])
def test_what_moves_is_what_is_watched(name: str, x0: int, whole_frame: bool, moves: bool) -> None:
    motion = MotionDetector(CONFIG, work_width=GATE_WIDTH if whole_frame else 640, whole_frame=whole_frame)
    fractions = []
    for image in frames_with_a_box_moving(x0, 300):
        fractions.append(motion.measure(image) if whole_frame else (motion.detect(image), motion.motion_fraction)[1])
    assert max(fractions[:40]) == 0.0, name  # nothing moves while the background is learnt
    assert (max(fractions[42:]) >= 0.0005) is moves, name


def test_the_gate_ignores_the_burnt_in_timestamp() -> None:
    config = CONFIG.model_copy(update={"timestamp_mask": (0, 0, 400, 60)})
    gate = MotionDetector(config, work_width=GATE_WIDTH, whole_frame=True)
    for i in range(60):
        image = np.full((720, 1280, 3), ROAD_GREY, np.uint8)
        image[10:50, 10:390] = 230 if i % 2 else 20  # the clock's digits change every frame
        gate.measure(image)
    assert gate.motion_fraction == 0.0
