"""The renderer's plates: legibility counted only for plates wholly in the picture and not hidden
by a nearer vehicle, and the night tail lamp of a two-wheeler never drawn over its plate."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from simulator.render import Renderer, _plate_geometry, mark_legible
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
    painted = renderer._plate(img, inside, inside.lateral - 0.9, inside.lateral + 0.9, 12.0)
    assert painted is not None
    mark_legible(img, [painted])
    assert inside.plate_px > 0
    # slide the car right until its plate straddles the right edge of the picture
    lateral = next(x / 10 for x in range(0, 400)
                   if plate_rect(renderer, dataclasses.replace(inside, lateral=x / 10), 12.0)[2] > renderer.w + 5)
    cut = dataclasses.replace(inside, lateral=lateral, plate_px=0)
    left, _, right, _ = plate_rect(renderer, cut, 12.0)
    assert left < renderer.w < right
    assert renderer._plate(img, cut, cut.lateral - 0.9, cut.lateral + 0.9, 12.0) is None
    assert cut.plate_px == 0


def test_a_plate_behind_a_nearer_vehicle_is_not_legible_and_one_beside_it_is() -> None:
    renderer = Renderer(scene(), 1, overlay=False)
    for near_lateral, hidden in ((0.0, True), (4.5, False)):
        far = vehicle("car", lateral=0.0, front=20.0)
        near = vehicle("car", lateral=near_lateral, front=16.0, seed=5)
        img = Image.new("RGB", (renderer.w, renderer.h))
        draw = ImageDraw.Draw(img)
        painted: list = []
        for v in (far, near):  # the renderer's order: farthest first
            assert renderer._vehicle(draw, img, v, painted) is not None
        mark_legible(img, painted)
        assert near.plate_px > 0
        assert (far.plate_px == 0) is hidden, (near_lateral, far.plate_px)


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


class _OneVehicle:
    """A stand-in for ``TrafficSim`` holding one vehicle (what ``Renderer.draw`` reads)."""

    def __init__(self, v) -> None:  # type: ignore[no-untyped-def]
        self.vehicles, self.cross, self.frame = [v], [], 0

    def phase(self, frame: int) -> tuple[str, float]:
        return "green", 10.0


def test_in_the_low_sun_a_vehicle_casts_a_shadow_outside_its_box() -> None:
    """The shadow falls on the road beside the car (sun from the right: to the left of it);
    the car's box — the truth a detector is judged by — is the car alone."""
    from datetime import UTC, datetime

    car = vehicle("car", lateral=1.0, front=14.0)
    sunny = Renderer(scene().model_copy(update={"shadows": True, "sun": (-0.9, 0.0)}), 1, overlay=False)
    plain = Renderer(scene(), 1, overlay=False)
    when = datetime(2026, 3, 2, 9, tzinfo=UTC)
    lit, lit_boxes = plain.draw(_OneVehicle(car), when, 0)
    shaded, shaded_boxes = sunny.draw(_OneVehicle(car), when, 0)
    assert lit_boxes == shaded_boxes
    box = lit_boxes[car.track_id]
    row = (box.y1 + box.y2 * 3) // 4  # low on the body, where the shadow lies on the road beside it
    beside = slice(max(0, box.x1 - 40), box.x1 - 5)
    road_lit = lit[row, beside].astype(int).mean()
    road_shaded = shaded[row, beside].astype(int).mean()
    assert road_shaded < 0.7 * road_lit
    right = slice(box.x2 + 5, box.x2 + 40)  # the sunny side: untouched
    assert abs(shaded[row, right].astype(int).mean() - lit[row, right].astype(int).mean()) < 2
    night = Renderer(scene("night").model_copy(update={"shadows": True}), 1, overlay=False)
    assert night.sun is None  # no low sun at night


def test_the_roadside_houses_shade_part_of_the_picture() -> None:
    renderer = Renderer(scene().model_copy(update={"shadows": True, "sun": (-1.2, 0.3)}), 1, overlay=False)
    assert renderer._house_shade is not None
    shade = np.asarray(renderer._house_shade) > 0
    assert 0.02 < shade.mean() < 0.5
