"""Read the plate of a violating vehicle with RapidOCR (ONNX models bundled, offline).

Contract: ``PlateReader.read(crops)`` takes a few crops of one vehicle (largest first)
and returns a ``PlateRead``: the canonical plate text (``plate_format``), the read
confidence, the crop the text was read on (evidence), and ``needs_review`` when no crop
gave a valid plate or the best read is below ``min_confidence``. It never invents a
plate: an invalid read leaves ``text`` as None, and a two-line read whose lines differ in
width (one line cut off), or whose number has only four digits (the old format, but also
a new five-digit number with one digit lost), is marked for review whatever the OCR score. So is a plate whose province digits or series
letter were read only as the other kind (``analytics.plate_format.read_plate``'s ``guessed``:
a ``0``, ``6`` or ``8`` where the series letter goes is a B, D or G only by guess) in every view
that gave it: the guess is kept as a suggestion.

A crop may be *open below* (``read``'s ``open_below``): cut by the bottom of the picture with
the vehicle running on out of it. Its text is read only where it stops short of that edge: a
plate whose digits the edge cuts through is read with confidence as another plate.

RapidOCR's text detector is run at the size of the (upscaled) crop, not blown up to its
default 736 px shortest side: a plate crop is small and its text fills it, and at 736 px an
elongated one-line plate became a 736×2600 picture that took 1–1.5 s on one core and lost
the text more often than it found it. Only a crop in which that quick look finds no valid
plate is looked at again with the detector at full size.

Reading stops early where more looks cannot change the answer: a crop whose first read is a
valid full-format plate above ``min_confidence`` gets no second look (the look with a margin
is for text clipped at the plate border), and two crops agreeing that confidently end the vote.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from analytics.plate_format import PlateText, read_plate

if TYPE_CHECKING:
    from rapidocr_onnxruntime import RapidOCR


CLIPPED_PX = 2  # text this near a crop's open bottom edge (OCR boxes hug their text) may run on past it
SHORT_NUMBER = re.compile(r"(?:-| )\d{4}$")
SUGGESTION_CONFIDENCE = 0.8  # below min_confidence: an officer confirms the read
TWO_WHEELER_PLATE = re.compile(r"^\d{2}-")  # NN-LN NNN.NN: the two-line plate of motorbikes
FOUR_WHEELERS = ("car", "bus", "truck")


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class PlateRead:
    text: str | None
    confidence: float | None
    needs_review: bool
    crop: np.ndarray | None  # BGR image of the plate (or the vehicle area searched)
    raw: tuple[str, ...] = ()


class PlateReader:
    def __init__(self, *, min_confidence: float = 0.85, min_height_px: int = 192, threads: int | None = None) -> None:
        """``threads``: ONNX Runtime threads of the OCR models; default as many as PyTorch is
        allowed in this process (``pipelines.worker.init_worker`` sets one per worker)."""
        import torch

        self.threads = max(1, threads if threads is not None else torch.get_num_threads())
        # the OCR models load on the first read (≈0.4 s each): most segments have no violation
        self._quick_ocr: RapidOCR | None = None
        self._full_ocr: RapidOCR | None = None  # RapidOCR's default detector size, made when first needed
        self._min_conf = min_confidence
        self._min_h = min_height_px

    def _quick(self) -> RapidOCR:
        from rapidocr_onnxruntime import RapidOCR

        if self._quick_ocr is None:
            # "max" with a 960 px side: pictures under 960 px are detected at their own size
            self._quick_ocr = RapidOCR(intra_op_num_threads=self.threads, inter_op_num_threads=1,
                                       det_limit_type="max", det_limit_side_len=960)
        return self._quick_ocr

    def _full_size(self) -> RapidOCR:
        from rapidocr_onnxruntime import RapidOCR

        if self._full_ocr is None:
            self._full_ocr = RapidOCR(intra_op_num_threads=self.threads, inter_op_num_threads=1)
        return self._full_ocr

    def _ocr_lines(self, crop: np.ndarray, *, full_size: bool = False,
                   ) -> tuple[list[str], float, np.ndarray | None, float]:
        """The text lines top to bottom, the lowest line score, the text's region of ``crop``
        with a margin, and the lowest row of any text box (in ``crop``'s pixels, -1 if none)."""
        scale = max(1.0, self._min_h / max(1, crop.shape[0]))
        image = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC) if scale > 1 else crop
        result, _ = (self._full_size() if full_size else self._quick())(image)
        if not result:
            return [], 0.0, None, -1.0
        items = sorted(((np.asarray(box), str(text), float(score)) for box, text, score in result),
                       key=lambda item: float(item[0][:, 1].mean()))
        texts = [text for _, text, _ in items]
        confidence = min(score for _, _, score in items)
        plate_like = [box for box, text, _ in items if sum(ch.isdigit() for ch in text) >= 2][:2]
        if len(plate_like) == 2:
            widths = [float(b[:, 0].max() - b[:, 0].min()) for b in plate_like]
            if min(widths) < 0.8 * max(widths):  # two-line plates have lines of equal width: one is cut
                confidence *= 0.5
        boxes = np.vstack([box for box, _, _ in items]) / scale
        x1, y1 = np.floor(boxes.min(axis=0)).astype(int)
        x2, y2 = np.ceil(boxes.max(axis=0)).astype(int)
        pad = 3
        plate = crop[max(0, y1 - pad):y2 + pad, max(0, x1 - pad):x2 + pad]
        return texts, confidence, plate if plate.size else None, float(boxes[:, 1].max())

    def read(self, crops: Sequence[np.ndarray], *, vehicle_class: str | None = None,
             open_below: Sequence[bool] = ()) -> PlateRead:
        """``vehicle_class``: a car, bus or truck never carries a two-wheeler's two-line plate
        (``NN-LN NNN.NN``); such a read of one is kept only as a suggestion for review.
        ``open_below[i]``: crop ``i``'s bottom edge is the bottom of the picture, and the vehicle
        runs on out of it — text reaching within ``CLIPPED_PX`` of that edge may have lost its
        lower part (a 3 read as a 9), so that crop gives no read."""
        votes: Counter[str] = Counter()
        confident: Counter[str] = Counter()  # valid full-format reads above min_confidence
        straight: set[str] = set()  # texts some view read without a guessed prefix character
        best: dict[str, tuple[float, np.ndarray | None]] = {}
        raw: list[str] = []
        fallback = crops[0] if crops else None
        for index, crop in enumerate(crops):
            if crop is None or crop.size == 0:
                continue
            opened = index < len(open_below) and open_below[index]
            lines, confidence, plate, bottom = self._ocr_lines(crop)
            raw.append(" / ".join(lines))
            parsed = self._parse(lines)
            if parsed is None and not (opened and bottom >= crop.shape[0] - CLIPPED_PX):
                # the quick look found no plate: look again with the detector at full size
                lines, confidence, plate, bottom = self._ocr_lines(crop, full_size=True)
                raw.append(" / ".join(lines))
                parsed = self._parse(lines)
            if opened and lines and bottom >= crop.shape[0] - CLIPPED_PX:
                raw.append("(cut off by the bottom of the picture)")
                continue
            settled = (parsed is not None and not parsed.guessed and confidence >= self._min_conf
                       and not SHORT_NUMBER.search(parsed.text))
            if plate is not None and lines and not settled:
                # second look at the plate alone, with a margin: text near the plate border is
                # often clipped by the first detection box
                lines2, confidence2, _, _ = self._ocr_lines(self._padded(crop, plate))
                parsed2 = self._parse(lines2)
                if parsed2 is not None and (parsed is None or len(parsed2.text) > len(parsed.text)
                                            or confidence2 > confidence
                                            or (parsed.guessed and not parsed2.guessed)):
                    parsed, confidence = parsed2, confidence2
                    raw.append(" / ".join(lines2))
            if parsed is None:
                continue
            text = parsed.text
            votes[text] += 1
            if not parsed.guessed:
                straight.add(text)
            if confidence > best.get(text, (-1.0, None))[0]:
                best[text] = (confidence, plate)
            if settled:
                confident[text] += 1
                if confident[text] >= 2:
                    break  # two views agree with confidence: the other crops cannot outvote them
        if not votes:
            return PlateRead(text=None, confidence=None, needs_review=True, crop=fallback, raw=tuple(raw))
        votes = _truncations_merged(votes)
        fitting = [t for t in votes if not (vehicle_class in FOUR_WHEELERS and TWO_WHEELER_PLATE.match(t))]
        text = max(fitting or list(votes), key=lambda t: (votes[t], t in straight, best[t][0]))
        confidence, plate = best[text]
        # an old-style 4-digit number is also what a new 5-digit one looks like with a digit lost
        # at the plate border, a two-wheeler's plate on a car is a misread, and a series letter
        # no view read as a letter is a guess: keep the read as a suggestion, but an officer
        # confirms it
        if text not in fitting or SHORT_NUMBER.search(text) or text not in straight:
            confidence = min(confidence, SUGGESTION_CONFIDENCE)
        return PlateRead(text=text, confidence=round(confidence, 3), needs_review=confidence < self._min_conf,
                         crop=plate if plate is not None else fallback, raw=tuple(raw))

    @staticmethod
    def _padded(crop: np.ndarray, plate: np.ndarray) -> np.ndarray:
        """The plate region of ``crop`` with a 30 % margin (found by locating ``plate`` in it)."""
        ph, pw = plate.shape[:2]
        result = cv2.matchTemplate(crop, plate, cv2.TM_SQDIFF)
        _, _, (x, y), _ = cv2.minMaxLoc(result)
        mx, my = int(pw * 0.3) + 2, int(ph * 0.3) + 2
        h, w = crop.shape[:2]
        return crop[max(0, y - my):min(h, y + ph + my), max(0, x - mx):min(w, x + pw + mx)]

    @classmethod
    def _parse(cls, lines: list[str]) -> PlateText | None:
        """The canonical plate in the OCR lines: the plate-like lines together (a two-line
        plate), else the longest line that is a whole one-line plate by itself (a stray line of
        digits beside it, e.g. a sticker or a neighbour's plate edge, is not part of it)."""
        candidates = cls._plate_lines(lines)
        read = read_plate(candidates)
        if read is None and len(candidates) > 1:
            read = next((r for line in sorted(candidates, key=len, reverse=True)
                         if (r := read_plate([line])) is not None), None)
        return read

    @staticmethod
    def _plate_lines(lines: list[str]) -> list[str]:
        """Keep the lines that look like plate text (digits present), top to bottom."""
        return [line for line in lines if sum(ch.isdigit() for ch in line) >= 2][:2]


def _truncations_merged(votes: Counter[str]) -> Counter[str]:
    """A 4-digit read that another view reads on as a 5-digit number (``68K-4020`` beside
    ``68K-402.09``) is that plate with its last digit hidden — by the frame of the view, or by
    a neighbour painted out of the crop: its votes go to the longer read."""
    merged = Counter(votes)
    for short in [t for t in votes if SHORT_NUMBER.search(t)]:
        key = _alnum(short)
        longer = [t for t in votes if t != short and not SHORT_NUMBER.search(t) and _alnum(t).startswith(key)]
        if len(longer) == 1:
            merged[longer[0]] += merged.pop(short)
    return merged


def _alnum(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())
