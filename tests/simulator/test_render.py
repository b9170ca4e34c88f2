"""The renderer's plates: legibility counted only for plates wholly in the picture, and the
night tail lamp of a two-wheeler never drawn over its plate."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from simulator.render import Renderer, _plate_geometry
from simulator.traffic import TrafficSim
from simulator.world import SimScene, load_sim_scene

SCENES = Path(__file__).resolve().parents[2] / "data" / "scenes" / "sim"


def scene(lighting: str = "day") -> SimScene:
    data = load_sim_scene(SCENES / "pho_tran_phu.yaml").model_dump()
    data["lighting"] = lighting
    data["noise"] = 0
    return SimScene.model_validate(data)


def vehicle(cls: str, lateral: float, front: float, seed: int = 4):
    """A vehicle of ``cls`` from the simulator, moved to (``lateral``, ``front``), going away."""
    sim = TrafficSim(scene(), seed)
    for _ in range(400):
        sim.step()
        found = [v for v in sim.vehicles if v.cls == cls and v.direction > 0]
        if found:
            return dataclasses.replace(found[0], lateral=lateral, front=front, plate_px=0)
    raise AssertionError(f"no {cls} in 400 frames")


def plate_rect(renderer: Renderer, v, y_near: float) -> tuple[int, int, int, int]:
    pw, ph, z0 = _plate_geometry(v)
    q = renderer.cam.project(np.array([[v.lateral - pw / 2, y_near - 0.01, z0],
                                       [v.lateral + pw / 2, y_near - 0.01, z0 + ph]]))
    (left, right), (top, bottom) = sorted((q[0][0], q[1][0])), sorted((q[0][1], q[1][1]))
    return int(round(left)), int(round(top)), int(round(right)), int(round(bottom))


def test_a_plate_cut_by_the_frame_is_not_legible() -> None:
    renderer = Renderer(scene(), 1, overlay=False)
    inside = vehicle("car", lateral=0.0, front=12.0)
    img = Image.new("RGB", (renderer.w, renderer.h))
    renderer._plate(img, inside, inside.lateral - 0.9, inside.lateral + 0.9, 12.0)
    assert inside.plate_px > 0
    # slide the car right until its plate straddles the right edge of the picture
    lateral = next(x / 10 for x in range(0, 400)
                   if plate_rect(renderer, dataclasses.replace(inside, lateral=x / 10), 12.0)[2] > renderer.w + 5)
    cut = dataclasses.replace(inside, lateral=lateral, plate_px=0)
    left, _, right, _ = plate_rect(renderer, cut, 12.0)
    assert left < renderer.w < right
    renderer._plate(img, cut, cut.lateral - 0.9, cut.lateral + 0.9, 12.0)
    assert cut.plate_px == 0


def test_night_tail_lamp_is_above_a_two_wheelers_plate() -> None:
    renderer = Renderer(scene("night"), 1, overlay=False)
    for cls in ("motorbike", "bicycle"):
        v = vehicle(cls, lateral=0.0, front=16.0)
        img = Image.new("RGB", (renderer.w, renderer.h))
        draw = ImageDraw.Draw(img)
        y_near = min(v.front, v.rear)
        renderer._plate(img, v, v.lateral - 0.4, v.lateral + 0.4, y_near)
        renderer._lights(draw, v, v.lateral - 0.4, v.lateral + 0.4, y_near, towards=False)
        pixels = np.asarray(img).astype(int)
        lamp = (pixels[..., 0] > 200) & (pixels[..., 1] < 60)
        assert lamp.any(), cls
        left, top, right, bottom = plate_rect(renderer, v, y_near)
        assert not lamp[top:bottom, left:right].any(), cls
        assert np.nonzero(lamp)[0].max() < top, cls
