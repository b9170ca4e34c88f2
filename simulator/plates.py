"""Vietnamese licence plates for simulated vehicles.

Formats (Circular 24/2023/TT-BCA style, simplified):
- cars: one line ``NNL-NNN.NN`` (``68A-123.45``), some older ``NNL-NNNN`` (``68A-1234``),
  joint-venture series ``NNLD-NNN.NN``; commercial transport on yellow plates;
- motorbikes: two lines ``NN-LN`` / ``NNN.NN`` (``17-B1`` / ``234.56``), electric series
  ``NN-MĐN``.
The province prefix comes from the camera's province (68 Kiên Giang, 17 Thái Bình).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CAR_SERIES = ("A", "A", "A", "C", "D", "H", "K", "LD")
MOTO_LETTERS = ("B", "C", "D", "E", "F", "G", "H", "K", "L", "M", "N", "P", "S", "T", "X", "Z")


@dataclass(frozen=True, slots=True)
class Plate:
    text: str  # canonical single-line text, e.g. "68A-123.45" or "17-B1 234.56"
    lines: tuple[str, ...]  # as painted on the plate
    colour: str  # white | yellow

    @property
    def two_line(self) -> bool:
        return len(self.lines) == 2


def make_plate(rng: random.Random, province: str, vehicle_class: str) -> Plate:
    if vehicle_class in ("motorbike", "bicycle"):
        if rng.random() < 0.06:
            series = f"MĐ{rng.randint(1, 9)}"
        else:
            series = f"{rng.choice(MOTO_LETTERS)}{rng.randint(1, 9)}"
        top = f"{province}-{series}"
        bottom = f"{rng.randint(100, 999)}.{rng.randint(0, 99):02d}"
        return Plate(text=f"{top} {bottom}", lines=(top, bottom), colour="white")
    series = "C" if vehicle_class == "truck" else ("B" if vehicle_class == "bus" else rng.choice(CAR_SERIES))
    commercial = vehicle_class in ("bus", "truck") or series == "H"
    if rng.random() < 0.12 and series != "LD":
        text = f"{province}{series}-{rng.randint(1000, 9999)}"
    else:
        text = f"{province}{series}-{rng.randint(100, 999)}.{rng.randint(0, 99):02d}"
    return Plate(text=text, lines=(text,), colour="yellow" if commercial else "white")
