"""Draw frames of a simulated scene: perspective road, markings, signal head, vehicles as
shaded boxes with Vietnamese plates, day/night, rain, noise, shake, low-sun shadows (of
vehicles and of the roadside buildings, ``SimScene.shadows``) and the burnt-in timestamp
overlay. Pillow + numpy only (no OpenCV outside the pipelines).

Plates are painted larger than life (cars 1.6×, motorbikes 2.2×) so that they stay
legible at 1280×720 near the stop line, as an enforcement camera's zoom would make them.
A plate counts as legible in a frame (``Vehicle.plate_px``, what the benchmarks score plates
on) only when it lies wholly in the picture and nearer vehicles drawn after it leave at least
``LEGIBLE_SHARE`` of its pixels as painted: a parked car's plate behind the car in front is
not a plate any reader could be asked to read.

Contract: ``Renderer(scene, seed).draw(sim, when_utc)`` returns the frame (H×W×3 uint8)
and the visible box of every vehicle, in drawing order (farthest first; ``visible_fractions``
tells how much of each nearer vehicles hide); the same inputs always give the same pixels. A vehicle's box is the vehicle, never its shadow.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from simulator.traffic import DIMENSIONS, TrafficSim, Vehicle
from simulator.world import Camera, SimScene, lanes_of, road_edges, signal_head_rois

VN = timezone(timedelta(hours=7))
PLATE_SCALE = {"car": 1.6, "bus": 1.6, "truck": 1.6, "motorbike": 2.6, "bicycle": 2.6}
PLATE_SIZE = {"one": (0.52, 0.11), "two": (0.19, 0.14)}  # true plate sizes in metres
SHADOW_LIGHT = 0.5  # share of the light left in a shadow
LEGIBLE_SHARE = 0.9  # share of a plate's painted pixels nearer vehicles must leave for it to be legible


@dataclass(frozen=True)
class PaintedPlate:
    """A plate as pasted into a frame, wholly inside it: where, and the pixels put there."""

    vehicle: Vehicle
    left: int
    top: int
    pixels: np.ndarray  # H×W×3 uint8 as pasted


def mark_legible(img: Image.Image, painted: list[PaintedPlate]) -> None:
    """After every vehicle of the frame is drawn: a plate whose pasted pixels are at least
    ``LEGIBLE_SHARE`` unchanged (nothing nearer drawn over them) raises its vehicle's
    ``plate_px`` to its width in this frame."""
    for plate in painted:
        h, w = plate.pixels.shape[:2]
        if plate.left + w > img.width or plate.top + h > img.height:
            continue  # rounded one pixel past the frame edge: cut by it
        now = np.asarray(img.crop((plate.left, plate.top, plate.left + w, plate.top + h)))
        kept = float(np.all(now == plate.pixels, axis=2).mean())
        if kept >= LEGIBLE_SHARE:
            plate.vehicle.plate_px = max(plate.vehicle.plate_px, w)


def _plate_geometry(v: Vehicle) -> tuple[float, float, float]:
    """Width and height in metres of the plate as drawn (enlarged, see ``PLATE_SCALE``) and the
    height of its lower edge above the road."""
    two = v.plate.two_line
    pw, ph = PLATE_SIZE["two" if two else "one"]
    scale = PLATE_SCALE[v.cls]
    return pw * scale, ph * scale, 0.38 if two else 0.42


@lru_cache(maxsize=8)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (covers Vietnamese), taken from matplotlib's bundled fonts."""
    import matplotlib  # only for the location of its bundled font files

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), size)


@dataclass(frozen=True, slots=True)
class Box:
    x1: int
    y1: int
    x2: int
    y2: int


def _shade(colour: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, int(c * k))) for c in colour)  # type: ignore[return-value]


def visible_fractions(boxes: dict[int, Box], width: int, height: int, cell: int = 4) -> dict[int, float]:
    """Share of each box not covered by boxes drawn after it (``boxes`` is in drawing order,
    farthest first, as ``Renderer.draw`` returns it): a vehicle hidden behind nearer ones."""
    covered = np.zeros((height // cell + 1, width // cell + 1), bool)
    out: dict[int, float] = {}
    for track_id, box in reversed(list(boxes.items())):
        region = covered[box.y1 // cell:box.y2 // cell + 1, box.x1 // cell:box.x2 // cell + 1]
        out[track_id] = round(1.0 - float(region.mean()) if region.size else 1.0, 2)
        region[...] = True
    return out


class Renderer:
    def __init__(self, scene: SimScene, seed: int, *, overlay: bool = True) -> None:
        self.scene = scene
        self.with_overlay = overlay
        self.cam = Camera.of(scene)
        self.w, self.h = scene.frame.width, scene.frame.height
        self.rng = np.random.default_rng(seed)
        self.night = scene.lighting == "night"
        self.sun = scene.sun if scene.shadows and not self.night else None
        self.base = self._base_image()
        # the roadside houses' shade falls on the road and on whatever drives through it
        self._house_shade = self._mask([self._shadow(x, x, y, y + 8, height) for x, y, height, _ in self._buildings()]) \
            if self.sun is not None and not scene.road.bridge else None
        self._noise = [self.rng.normal(0, scene.noise, (self.h, self.w, 1)).astype(np.int16) for _ in range(6)] \
            if scene.noise > 0 else []
        self._rain = [self._rain_layer(random.Random(seed * 31 + i)) for i in range(6)] \
            if scene.weather == "rain" else []
        self._plates: dict[int, Image.Image] = {}
        self._overlay_cache: dict[str, np.ndarray] = {}

    # --- static background -------------------------------------------------------------

    def _poly(self, draw: ImageDraw.ImageDraw, ground: list[tuple[float, float]], fill: tuple[int, ...],
              z: float = 0.0) -> None:
        pts = self.cam.project(np.array([[x, max(y, 0.5), z] for x, y in ground]))
        draw.polygon([tuple(p) for p in pts.tolist()], fill=fill)

    def _base_image(self) -> Image.Image:
        road = self.scene.road
        img = Image.new("RGB", (self.w, self.h), (96, 128, 84))
        d = ImageDraw.Draw(img)
        far = road.length_m + 40
        x_left, x_right = road_edges(self.scene)
        if road.bridge:
            self._poly(d, [(x_left - 30, 0), (x_right + 30, 0), (x_right + 30, far), (x_left - 30, far)], (70, 98, 118))
        # verges and kerbs
        self._poly(d, [(x_left - 3, 0), (x_left, 0), (x_left, far), (x_left - 3, far)], (160, 160, 150))
        self._poly(d, [(x_right, 0), (x_right + 3, 0), (x_right + 3, far), (x_right, far)], (160, 160, 150))
        self._poly(d, [(x_left, 0), (x_right, 0), (x_right, far), (x_left, far)], (78, 80, 84))
        if road.cross_road is not None:
            cr = road.cross_road
            left = -80 if cr.sides in ("both", "left") else x_left
            right = 80 if cr.sides in ("both", "right") else x_right
            self._poly(d, [(left, cr.y_m), (right, cr.y_m), (right, cr.y_m + cr.width_m), (left, cr.y_m + cr.width_m)],
                       (78, 80, 84))
            if self.scene.kind == "t_junction":  # the far side of a T is a kerb and buildings
                self._poly(d, [(-80, cr.y_m + cr.width_m), (80, cr.y_m + cr.width_m), (80, far), (-80, far)],
                           (160, 160, 150))
                for x in range(-60, 60, 9):
                    face = self.cam.project(np.array([[x, cr.y_m + cr.width_m + 3, 0], [x + 8, cr.y_m + cr.width_m + 3, 0],
                                                      [x + 8, cr.y_m + cr.width_m + 3, 9 + (x % 5)],
                                                      [x, cr.y_m + cr.width_m + 3, 9 + (x % 5)]]))
                    colour = [(185, 170, 150), (200, 195, 180), (170, 150, 140)][(x // 9) % 3]
                    d.polygon([tuple(p) for p in face.tolist()], fill=colour, outline=_shade(colour, 0.7))
        self._markings(d)
        if not road.bridge:
            self._roadside(d)
        if road.bridge:
            for x in (x_left - 0.3, x_right + 0.3):
                for y in range(2, int(far), 3):
                    pts = self.cam.project(np.array([[x, y, 0.0], [x, y, 1.1]]))
                    d.line([tuple(pts[0]), tuple(pts[1])], fill=(210, 210, 205), width=3)
                rail = self.cam.project(np.array([[x, 1.0, 1.1], [x, far, 1.1]]))
                d.line([tuple(rail[0]), tuple(rail[1])], fill=(225, 225, 220), width=4)
        if road.speed_limit_kmh and self.scene.kind in ("bridge", "street"):
            self._speed_sign(d, x_right + 2.0, 26.0)
        if self.night:
            arr = (np.asarray(img).astype(np.float32) * 0.2)
            for y in (14.0, 34.0, 54.0):  # street-light pools
                cx, cy = self.cam.project(np.array([[x_right - 1.5, y, 0.0]]))[0]
                yy, xx = np.ogrid[:self.h, :self.w]
                pool = np.exp(-(((xx - cx) / 220.0) ** 2 + ((yy - cy) / 80.0) ** 2)) * 45
                arr += pool[..., None] * np.array([1.0, 0.9, 0.6])
            img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        return img

    def _markings(self, d: ImageDraw.ImageDraw) -> None:
        road = self.scene.road
        far = road.length_m + 40
        lanes = lanes_of(self.scene)
        white, yellow = (235, 235, 230), (230, 190, 40)
        stop = road.stop_line_m
        end = road.cross_road.y_m if road.cross_road else far
        inbound = [lane for lane in lanes if lane.inbound]
        outbound = [lane for lane in lanes if not lane.inbound]
        for group in (inbound, outbound):
            for a, b in zip(group, group[1:]):
                x = a.x1 if a.inbound else a.x0
                solid_from = (stop - 12) if stop else end
                for y in np.arange(2.0, min(end, solid_from), 6.0):
                    self._poly(d, [(x - 0.07, y), (x + 0.07, y), (x + 0.07, y + 3), (x - 0.07, y + 3)], white)
                if stop:
                    self._poly(d, [(x - 0.07, stop - 12), (x + 0.07, stop - 12), (x + 0.07, stop), (x - 0.07, stop)],
                               white)
        if outbound:  # centre line: double yellow
            x = -road.median_m / 2 if road.median_m > 0 else 0.0
            for dx in (-0.12, 0.12):
                self._poly(d, [(x + dx - 0.06, 1), (x + dx + 0.06, 1), (x + dx + 0.06, end), (x + dx - 0.06, end)],
                           yellow)
        if stop is not None:
            x0, x1 = inbound[0].x0, inbound[-1].x1
            self._poly(d, [(x0, stop - 0.4), (x1, stop - 0.4), (x1, stop), (x0, stop)], white)
            for lane in inbound:  # straight-ahead arrows before the stop line
                cx, y = lane.centre, stop - 7
                self._poly(d, [(cx - 0.12, y), (cx + 0.12, y), (cx + 0.12, y + 3), (cx - 0.12, y + 3)], white)
                self._poly(d, [(cx - 0.45, y + 3), (cx + 0.45, y + 3), (cx, y + 4.6)], white)
            if road.zebra:
                xl, xr = road_edges(self.scene)
                for x in np.arange(xl + 0.2, xr - 0.2, 1.0):
                    self._poly(d, [(x, stop + 1), (x + 0.5, stop + 1), (x + 0.5, stop + 4.5), (x, stop + 4.5)], white)
        ns = road.no_stopping
        if ns is not None and not ns.signal_holds:  # the zone before a junction is the law's, not painted
            lane = inbound[ns.lane]
            x0 = lane.x1 - ns.strip_m
            for y in np.arange(ns.from_m, ns.to_m, 1.5):  # yellow zig-zag of the no-stopping strip
                self._poly(d, [(x0, y), (x0 + 0.15, y), (x0 + 0.15, y + 0.9), (x0, y + 0.9)], yellow)
            self._poly(d, [(lane.x1 - 0.15, ns.from_m), (lane.x1, ns.from_m), (lane.x1, ns.to_m),
                           (lane.x1 - 0.15, ns.to_m)], yellow)

    def _buildings(self) -> list[tuple[float, float, float, tuple[int, int, int]]]:
        """The roadside house fronts: (x, y from, height, colour); y runs 8 m each."""
        rnd = random.Random(7)
        x_left, x_right = road_edges(self.scene)
        out = []
        for x in (x_left - 6, x_right + 6):
            for y in range(20, int(self.scene.road.length_m) + 30, 9):
                height = rnd.uniform(5, 14)
                out.append((x, float(y), height, rnd.choice([(185, 170, 150), (200, 195, 180), (170, 150, 140),
                                                              (215, 205, 170)])))
        return out

    def _roadside(self, d: ImageDraw.ImageDraw) -> None:
        for x, y, height, colour in self._buildings():
            face = self.cam.project(np.array([[x, y, 0], [x, y + 8, 0], [x, y + 8, height], [x, y, height]]))
            d.polygon([tuple(p) for p in face.tolist()], fill=colour, outline=_shade(colour, 0.7))

    def _shadow(self, x0: float, x1: float, y0: float, y1: float, height: float) -> list[np.ndarray]:
        """The ground shadow of an upright box (footprint x0..x1 × y0..y1) in the low sun, as
        picture polygons: the footprint, the footprint shifted by the sun, and the strips joining
        them (together the hull of the two)."""
        assert self.sun is not None
        sx, sy = self.sun[0] * height, self.sun[1] * height
        foot = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        tip = [(x + sx, y + sy) for x, y in foot]
        quads = [foot, tip] + [[foot[i], foot[(i + 1) % 4], tip[(i + 1) % 4], tip[i]] for i in range(4)]
        return [self.cam.project(np.array([[x, max(y, 0.5), 0.0] for x, y in quad])) for quad in quads]

    def _mask(self, shadows: list[list[np.ndarray]], *, outside: Image.Image | None = None) -> Image.Image:
        """A mask (mode L) that is 255 inside the shadow polygons (but not inside ``outside``)."""
        mask = Image.new("L", (self.w, self.h), 0)
        draw = ImageDraw.Draw(mask)
        for polygons in shadows:
            for polygon in polygons:
                draw.polygon([tuple(p) for p in polygon.tolist()], fill=255)
        if outside is not None:
            mask.paste(0, mask=outside)
        return mask

    @staticmethod
    def _darken(img: Image.Image, mask: Image.Image) -> Image.Image:
        return Image.composite(img.point(lambda v: int(v * SHADOW_LIGHT)), img, mask)

    def _speed_sign(self, d: ImageDraw.ImageDraw, x: float, y: float) -> None:
        base, top = self.cam.project(np.array([[x, y, 0.0], [x, y, 2.6]]))
        d.line([tuple(base), tuple(top)], fill=(120, 120, 120), width=3)
        r = max(8.0, 0.4 * self.cam.focal / max(y, 1.0))
        cx, cy = top
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 255, 255), outline=(200, 20, 20), width=max(2, int(r / 4)))
        text = f"{self.scene.road.speed_limit_kmh:.0f}"
        f = font(max(8, int(r)), bold=True)
        d.text((cx, cy), text, fill=(0, 0, 0), font=f, anchor="mm")

    def _rain_layer(self, rnd: random.Random) -> Image.Image:
        layer = Image.new("RGBA", (self.w, self.h), (0, 0, 0, 0))
        d = ImageDraw.Draw(layer)
        for _ in range(700):
            x, y = rnd.uniform(0, self.w), rnd.uniform(0, self.h)
            length = rnd.uniform(10, 28)
            d.line([(x, y), (x - length * 0.25, y + length)], fill=(210, 215, 225, 90), width=1)
        return layer

    # --- dynamic content ----------------------------------------------------------------

    def _plate_image(self, v: Vehicle) -> Image.Image:
        """The plate as made: every character inside the border, in a type as tall as the
        plate allows and condensed where a line is long (``17-MĐ1``, ``567.77``) — the
        plate font is narrow, DejaVu Sans is not."""
        cached = self._plates.get(v.track_id)
        if cached is not None:
            return cached
        bg = (245, 205, 40) if v.plate.colour == "yellow" else (245, 245, 240)
        if v.plate.two_line:
            img = Image.new("RGB", (120, 90), bg)
            ImageDraw.Draw(img).rectangle([1, 1, 118, 88], outline=(20, 20, 20), width=3)
            for line, middle in zip(v.plate.lines, (25, 66), strict=True):
                _paste_line(img, line, 34, bg, centre=(60, middle), width=120 - 14)
        else:
            img = Image.new("RGB", (300, 64), bg)
            ImageDraw.Draw(img).rectangle([1, 1, 298, 62], outline=(20, 20, 20), width=3)
            _paste_line(img, v.plate.text, 40, bg, centre=(150, 33), width=300 - 16)
        self._plates[v.track_id] = img
        return img

    def _cuboid(self, d: ImageDraw.ImageDraw, x0: float, x1: float, y0: float, y1: float, z0: float, z1: float,
                colour: tuple[int, int, int]) -> np.ndarray:
        """Draw the faces seen from the camera; returns the projected corners."""
        corners = np.array([[x, y, z] for z in (z0, z1) for y in (y0, y1) for x in (x0, x1)])
        p = self.cam.project(corners)
        # indices: z0: (x0,y0)=0 (x1,y0)=1 (x0,y1)=2 (x1,y1)=3 ; z1: +4
        k = 0.45 if self.night else 1.0
        side = [0, 2, 6, 4] if (x0 + x1) / 2 > self.cam.x_m else [1, 3, 7, 5]
        d.polygon([tuple(p[i]) for i in side], fill=_shade(colour, 0.62 * k))
        d.polygon([tuple(p[i]) for i in (0, 1, 5, 4)], fill=_shade(colour, 0.85 * k))
        d.polygon([tuple(p[i]) for i in (4, 5, 7, 6)], fill=_shade(colour, 1.1 * k))
        return p

    def _vehicle(self, d: ImageDraw.ImageDraw, img: Image.Image, v: Vehicle,
                 painted: list[PaintedPlate]) -> Box | None:
        length, width, height = DIMENSIONS[v.cls]
        y0, y1 = sorted((v.front, v.rear))
        if y1 < 2.0:
            return None
        x0, x1 = v.lateral - width / 2, v.lateral + width / 2
        towards = v.direction < 0
        pts: list[np.ndarray] = []
        if v.cls == "motorbike":
            pts.extend(self._motorbike(d, v, y0, y1))
        elif v.cls == "bicycle":
            pts.extend(self._bicycle(d, v, y0, y1))
        elif v.cls == "bus":
            pts.extend(self._bus(d, v, x0, x1, y0, y1, height))
        elif v.cls == "truck":
            pts.extend(self._truck(d, v, x0, x1, y0, y1, height, towards))
        else:
            pts.append(self._cuboid(d, x0, x1, y0, y1, 0.3, height, v.colour))
            q = self.cam.project(np.array([[x0 + 0.15, y0, 1.05], [x1 - 0.15, y0, 1.05], [x1 - 0.25, y0, 1.42],
                                           [x0 + 0.25, y0, 1.42]]))
            d.polygon([tuple(p) for p in q.tolist()], fill=self._glass())
            pts.append(self._bumper_wheels(d, x0, x1, y0))
        show_plate = not towards or v.cls in ("car", "bus", "truck")
        if show_plate:
            plate = self._plate(img, v, x0, x1, y0)
            if plate is not None:
                painted.append(plate)
        if self.night:
            self._lights(d, v, x0, x1, y0, towards)
        allp = np.vstack(pts)
        bx1, by1 = np.floor(allp.min(axis=0))
        bx2, by2 = np.ceil(allp.max(axis=0))
        box = Box(max(0, int(bx1)), max(0, int(by1)), min(self.w - 1, int(bx2)), min(self.h - 1, int(by2)))
        if box.x2 - box.x1 < 2 or box.y2 - box.y1 < 2:
            return None
        return box

    def _glass(self) -> tuple[int, int, int]:
        return (50, 70, 90) if not self.night else (20, 25, 30)

    def _face(self, d: ImageDraw.ImageDraw, corners: list[tuple[float, float, float]],
              colour: tuple[int, int, int]) -> None:
        q = self.cam.project(np.array(corners))
        d.polygon([tuple(p) for p in q.tolist()], fill=colour)

    def _bumper_wheels(self, d: ImageDraw.ImageDraw, x0: float, x1: float, y0: float) -> np.ndarray:
        """The dark band from the road up to the body; returns its corners (the box reaches the road)."""
        corners = [(x0, y0, 0.0), (x1, y0, 0.0), (x1, y0, 0.3), (x0, y0, 0.3)]
        self._face(d, corners, (15, 15, 15))
        return self.cam.project(np.array(corners))

    def _rider(self, d: ImageDraw.ImageDraw, v: Vehicle, mid: float, hat: bool) -> list[np.ndarray]:
        """Torso and head; a helmet (motorbike) or a conical nón lá (bicycle)."""
        half = 0.22 if not hat else 0.17
        pts = [self._cuboid(d, v.lateral - half, v.lateral + half, mid - 0.25, mid + 0.2, 0.95, 1.45, v.colour)]
        head = self.cam.project(np.array([[v.lateral, mid, 1.58]]))[0]
        r = 0.14 * self.cam.focal / max(mid, 1.0)
        dim = 0.5 if self.night else 1.0
        if hat:
            d.ellipse([head[0] - r * 0.8, head[1] - r * 0.8, head[0] + r * 0.8, head[1] + r * 0.8],
                      fill=_shade((170, 120, 90), dim))
            cone = [(head[0] - 2.6 * r, head[1] - 0.2 * r), (head[0] + 2.6 * r, head[1] - 0.2 * r),
                    (head[0], head[1] - 1.9 * r)]
            d.polygon(cone, fill=_shade((222, 204, 150), dim))
            pts.append(np.array([[head[0] - 2.6 * r, head[1] - 1.9 * r], [head[0] + 2.6 * r, head[1] + r]]))
        else:
            helmet = (20, 20, 20) if v.track_id % 9 == 0 else (220, 200, 40) if v.track_id % 3 else (200, 30, 30)
            d.ellipse([head[0] - r, head[1] - r, head[0] + r, head[1] + r], fill=_shade(helmet, dim))
            pts.append(np.array([[head[0] - r, head[1] - r], [head[0] + r, head[1] + r]]))
        return pts

    def _motorbike(self, d: ImageDraw.ImageDraw, v: Vehicle, y0: float, y1: float) -> list[np.ndarray]:
        x0, x1 = v.lateral - 0.375 + 0.12, v.lateral + 0.375 - 0.12
        pts = [self._cuboid(d, x0, x1, y0, y1, 0.25, 0.95, (40, 40, 45))]
        pts.extend(self._rider(d, v, (y0 + y1) / 2, hat=False))
        wheel_r = 0.3 * self.cam.focal / max(y0, 1.0)
        for wy in (y0 + 0.3, y1 - 0.3):
            c = self.cam.project(np.array([[v.lateral, wy, 0.3]]))[0]
            d.ellipse([c[0] - wheel_r * 0.35, c[1] - wheel_r, c[0] + wheel_r * 0.35, c[1] + wheel_r], fill=(15, 15, 15))
            pts.append(np.array([[c[0] - wheel_r * 0.35, c[1] - wheel_r], [c[0] + wheel_r * 0.35, c[1] + wheel_r]]))
        return pts

    def _bicycle(self, d: ImageDraw.ImageDraw, v: Vehicle, y0: float, y1: float) -> list[np.ndarray]:
        """No engine body: two tall thin wheels, a thin frame, a rider in a nón lá."""
        mid = (y0 + y1) / 2
        ends = self.cam.project(np.array([[v.lateral, y0 + 0.35, 0.35], [v.lateral, y1 - 0.35, 0.35],
                                          [v.lateral, mid - 0.1, 0.95], [v.lateral, y0 + 0.35, 0.95]]))
        width = max(1, int(round(0.04 * self.cam.focal / max(mid, 1.0))))
        frame = (120, 125, 135) if not self.night else (50, 50, 55)
        d.line([tuple(ends[0]), tuple(ends[2]), tuple(ends[1])], fill=frame, width=width)
        d.line([tuple(ends[0]), tuple(ends[3])], fill=frame, width=width)
        pts: list[np.ndarray] = []
        for wy in (y0 + 0.35, y1 - 0.35):
            c = self.cam.project(np.array([[v.lateral, wy, 0.35]]))[0]
            r = 0.35 * self.cam.focal / max(wy, 1.0)
            d.ellipse([c[0] - r * 0.25, c[1] - r, c[0] + r * 0.25, c[1] + r], outline=(10, 10, 10),
                      width=max(1, width))
            pts.append(np.array([[c[0] - r * 0.25, c[1] - r], [c[0] + r * 0.25, c[1] + r]]))
        pts.extend(self._rider(d, v, mid, hat=True))
        return pts

    def _bus(self, d: ImageDraw.ImageDraw, v: Vehicle, x0: float, x1: float, y0: float, y1: float,
             height: float) -> list[np.ndarray]:
        """A long box with a row of side windows, a tall windscreen and a lit route sign."""
        p = self._cuboid(d, x0, x1, y0, y1, 0.3, height, v.colour)
        xs = x0 if (x0 + x1) / 2 > self.cam.x_m else x1
        glass = self._glass()
        y = y0 + 0.6
        while y + 1.0 < y1 - 0.4:
            self._face(d, [(xs, y, 1.55), (xs, y + 1.0, 1.55), (xs, y + 1.0, 2.55), (xs, y, 2.55)], glass)
            y += 1.3
        self._face(d, [(x0 + 0.12, y0, 1.15), (x1 - 0.12, y0, 1.15), (x1 - 0.12, y0, 2.65), (x0 + 0.12, y0, 2.65)],
                   glass)
        sign = (255, 150, 20) if not self.night else (255, 170, 40)
        self._face(d, [(x0 + 0.4, y0, 2.75), (x1 - 0.4, y0, 2.75), (x1 - 0.4, y0, 3.05), (x0 + 0.4, y0, 3.05)], sign)
        return [p, self._bumper_wheels(d, x0, x1, y0)]

    def _truck(self, d: ImageDraw.ImageDraw, v: Vehicle, x0: float, x1: float, y0: float, y1: float,
               height: float, towards: bool) -> list[np.ndarray]:
        """A lower cab at the front and a taller cargo box (tarpaulin colour) behind it;
        drawn far part first so the near part hides it."""
        cab_len = 2.1
        cargo = ((70, 95, 140), (165, 165, 155), (75, 110, 75), (150, 120, 80))[v.track_id % 4]
        if towards:  # front (cab) nearest the camera
            far = self._cuboid(d, x0, x1, y0 + cab_len + 0.1, y1, 0.45, height, cargo)
            near = self._cuboid(d, x0 + 0.05, x1 - 0.05, y0, y0 + cab_len, 0.35, 2.55, v.colour)
            self._face(d, [(x0 + 0.2, y0, 1.55), (x1 - 0.2, y0, 1.55), (x1 - 0.3, y0, 2.35), (x0 + 0.3, y0, 2.35)],
                       self._glass())
            self._face(d, [(x0 + 0.5, y0, 0.75), (x1 - 0.5, y0, 0.75), (x1 - 0.5, y0, 1.05), (x0 + 0.5, y0, 1.05)],
                       (35, 35, 35))  # grille
        else:  # rear doors of the cargo box nearest the camera
            far = self._cuboid(d, x0 + 0.05, x1 - 0.05, y1 - cab_len, y1, 0.35, 2.55, v.colour)
            near = self._cuboid(d, x0, x1, y0, y1 - cab_len - 0.1, 0.45, height, cargo)
            door = _shade(cargo, 0.45)
            cx = (x0 + x1) / 2
            self._face(d, [(cx - 0.03, y0, 0.5), (cx + 0.03, y0, 0.5), (cx + 0.03, y0, height - 0.1),
                           (cx - 0.03, y0, height - 0.1)], door)
            for z in (1.0, 2.0):
                self._face(d, [(x0 + 0.1, y0, z), (x1 - 0.1, y0, z), (x1 - 0.1, y0, z + 0.06),
                               (x0 + 0.1, y0, z + 0.06)], door)
        return [far, near, self._bumper_wheels(d, x0, x1, y0)]

    def _plate(self, img: Image.Image, v: Vehicle, x0: float, x1: float, y_near: float) -> PaintedPlate | None:
        """Paste ``v``'s plate at its place on the vehicle's near face; the pasted plate when it
        lies wholly in the picture (a plate cut by the frame is not legible), else None."""
        pw, ph, z0 = _plate_geometry(v)
        cx = (x0 + x1) / 2
        q = self.cam.project(np.array([[cx - pw / 2, y_near - 0.01, z0], [cx + pw / 2, y_near - 0.01, z0 + ph]]))
        left, right = sorted((q[0][0], q[1][0]))
        top, bottom = sorted((q[0][1], q[1][1]))
        width, height = int(round(right - left)), int(round(bottom - top))
        if width < 4 or height < 3 or right < 0 or left > self.w or bottom < 0 or top > self.h:
            return None
        plate = self._plate_image(v).resize((width, height), Image.BILINEAR)
        if self.night:
            plate = Image.eval(plate, lambda c: int(c * 0.75))
        at = (int(round(left)), int(round(top)))
        img.paste(plate, at)
        if left >= 0 and top >= 0 and right <= self.w and bottom <= self.h:
            return PaintedPlate(v, at[0], at[1], np.asarray(plate))  # a copy: later drawing leaves it
        return None

    def _lights(self, d: ImageDraw.ImageDraw, v: Vehicle, x0: float, x1: float, y: float, towards: bool) -> None:
        colour = (255, 250, 225) if towards else (230, 20, 20)
        radius = (0.22 if towards else 0.1) * self.cam.focal / max(y, 1.0)
        two_wheeler = v.cls in ("motorbike", "bicycle")
        xs = (v.lateral,) if two_wheeler else (x0 + 0.25, x1 - 0.25)
        z = 0.75
        if two_wheeler and not towards:  # the tail lamp sits above the (enlarged) plate, never on it
            _, ph, z0 = _plate_geometry(v)
            z = max(z, z0 + ph + 0.1)
        for x in xs:
            c = self.cam.project(np.array([[x, y - 0.02, z]]))[0]
            d.ellipse([c[0] - radius, c[1] - radius * 0.7, c[0] + radius, c[1] + radius * 0.7], fill=colour)

    def _cross_traffic(self, d: ImageDraw.ImageDraw, sim: TrafficSim) -> dict[int, Box]:
        boxes: dict[int, Box] = {}
        for c in sorted(sim.cross, key=lambda c: -float(c["y"])):  # type: ignore[arg-type]
            length, width, height = DIMENSIONS[str(c["cls"])]
            x, y = float(c["x"]), float(c["y"])  # type: ignore[arg-type]
            x0, x1 = x - length / 2, x + length / 2
            y0, y1 = y - width / 2, y + width / 2
            colour = c["colour"]  # type: ignore[assignment]
            p = self._cuboid(d, x0, x1, y0, y1, 0.25, min(height, 1.5) if c["cls"] in ("motorbike", "bicycle") else height,
                             colour)
            bx1, by1 = p.min(axis=0)
            bx2, by2 = p.max(axis=0)
            box = Box(max(0, int(bx1)), max(0, int(by1)), min(self.w - 1, int(bx2)), min(self.h - 1, int(by2)))
            if box.x2 - box.x1 >= 2 and box.y2 - box.y1 >= 2 and bx2 > 0 and bx1 < self.w:
                boxes[int(c["track_id"])] = box
        return boxes

    def _signal(self, d: ImageDraw.ImageDraw, phase: str, remaining: float) -> None:
        rois = signal_head_rois(self.w)
        x, y, _, _ = rois["red"]
        d.rectangle([x - 6, y - 6, x + 34, rois["green"][1] + 34], fill=(20, 20, 20), outline=(70, 70, 70))
        lit = {"red": (255, 40, 30), "amber": (255, 180, 0), "green": (40, 230, 90)}
        dim = {"red": (70, 20, 18), "amber": (70, 55, 10), "green": (15, 60, 25)}
        for name, (lx, ly, lw, lh) in rois.items():
            d.ellipse([lx, ly, lx + lw, ly + lh], fill=lit[name] if name == phase else dim[name])
        if self.scene.signal is not None and self.scene.signal.countdown and phase != "amber":
            d.rectangle([x + 42, y + 30, x + 112, y + 76], fill=(10, 10, 10))
            d.text((x + 77, y + 53), f"{min(99, int(math.ceil(remaining))):02d}",
                   fill=lit[phase], font=font(34, bold=True), anchor="mm")

    def draw(self, sim: TrafficSim, when_utc: datetime, frame: int) -> tuple[np.ndarray, dict[int, Box]]:
        img = self.base.copy()
        if self.sun is not None:
            cast = self._mask([self._shadow(v.lateral - v.dims[1] / 2, v.lateral + v.dims[1] / 2,
                                            min(v.front, v.rear), max(v.front, v.rear), v.dims[2])
                               for v in sim.vehicles if max(v.front, v.rear) >= 2.0],
                              outside=self._house_shade)  # a shadow in the shade is no darker
            img = self._darken(img, cast)
        d = ImageDraw.Draw(img)
        boxes = self._cross_traffic(d, sim)
        painted: list[PaintedPlate] = []
        for v in sorted(sim.vehicles, key=lambda v: -min(v.front, v.rear)):  # nearest face decides occlusion
            box = self._vehicle(d, img, v, painted)
            if box is not None:
                boxes[v.track_id] = box
        mark_legible(img, painted)
        if self.scene.signal is not None:
            self._signal(d, *sim.phase(frame))
        if self._house_shade is not None:
            img = self._darken(img, self._house_shade)
        if self._rain:
            img = Image.alpha_composite(img.convert("RGBA"), self._rain[frame % len(self._rain)]).convert("RGB")
        arr = np.asarray(img)
        if self._noise:
            arr = np.clip(arr.astype(np.int16) + self._noise[frame % len(self._noise)], 0, 255).astype(np.uint8)
        if self.scene.shake_px > 0:
            dx = int(round(math.sin(frame * 0.9) * self.scene.shake_px))
            dy = int(round(math.cos(frame * 1.3) * self.scene.shake_px * 0.6))
            if dx or dy:
                arr = np.roll(arr, (dy, dx), axis=(0, 1))
        arr = np.array(arr)  # writable
        if self.with_overlay:
            overlay = self._overlay(when_utc.astimezone(VN).strftime("%d-%m-%Y %H:%M:%S"))
            arr[: overlay.shape[0], : overlay.shape[1]] = overlay  # burnt in after shake: it never moves
        return arr, boxes

    def _overlay(self, stamp: str) -> np.ndarray:
        cached = self._overlay_cache.get(stamp)
        if cached is None:
            img = Image.new("RGB", (min(560, self.w), 40), (0, 0, 0))
            ImageDraw.Draw(img).text((10, 20), f"{stamp}  {self.scene.title}"[:60], fill=(255, 255, 255),
                                     font=font(20), anchor="lm")
            cached = np.asarray(img)
            self._overlay_cache = {stamp: cached}
        return cached



def _paste_line(img: Image.Image, text: str, size: int, bg: tuple[int, int, int], *, centre: tuple[int, int],
                width: int) -> None:
    """Draw ``text`` at ``size`` centred on ``centre``, squeezed sideways to ``width`` if wider."""
    f = font(size, bold=True)
    scratch = ImageDraw.Draw(img)
    left, top, right, bottom = scratch.textbbox((0, 0), text, font=f)
    line = Image.new("RGB", (right - left + 2, bottom - top + 2), bg)
    ImageDraw.Draw(line).text((1 - left, 1 - top), text, fill=(15, 15, 15), font=f)
    if line.width > width:
        line = line.resize((width, line.height), Image.LANCZOS)
    img.paste(line, (centre[0] - line.width // 2, centre[1] - line.height // 2))
