"""Vietnamese text on frames (OpenCV's own fonts are ASCII only).

Contract: ``Captions(frame_bgr)`` collects text to draw; ``render()`` returns a new BGR
frame with every text drawn in DejaVu Sans (covers Vietnamese), the same pixels for the
same inputs. Used for evidence keyframes and the annotated review video.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PHASES = {"red": "đỏ", "amber": "vàng", "green": "xanh", "unknown": "không rõ"}


def font_file(bold: bool = False) -> Path:
    import matplotlib  # only for the location of its bundled DejaVu fonts

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")


def phase_vi(phase: str) -> str:
    return PHASES.get(phase, phase)


class Captions:
    def __init__(self, frame_bgr: np.ndarray) -> None:
        self._frame = frame_bgr
        self._texts: list[tuple[str, tuple[int, int], int, tuple[int, int, int], bool]] = []

    def add(self, text: str, xy: tuple[int, int], *, size: int = 16, colour_bgr: tuple[int, int, int] = (255, 255, 255),
            bold: bool = False) -> Captions:
        """``xy`` is the text's top-left corner in pixels."""
        self._texts.append((text, xy, size, colour_bgr, bold))
        return self

    def render(self) -> np.ndarray:
        if not self._texts:
            return self._frame.copy()
        image = Image.fromarray(np.ascontiguousarray(self._frame[..., ::-1]))
        draw = ImageDraw.Draw(image)
        fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont] = {}
        for text, xy, size, (b, g, r), bold in self._texts:
            font = fonts.get((size, bold))
            if font is None:
                font = fonts[(size, bold)] = ImageFont.truetype(str(font_file(bold)), size)
            draw.text(xy, text, fill=(r, g, b), font=font)
        return np.ascontiguousarray(np.asarray(image)[..., ::-1])
