"""Vietnamese licence-plate text: normalise OCR output and validate the formats.

Contract: ``normalise_plate(lines)`` takes the text lines read on one plate (top to
bottom) and returns the canonical text — ``68A-123.45`` / ``68A-1234`` / ``68LD-123.45``
for one-line plates, ``17-B1 234.56`` / ``17-MĐ1 234.56`` for two-line plates — or
``None`` when the read does not fit a valid format. Letters and digits commonly
confused by OCR (O/0, I/1, B/8, S/5, Z/2, G/6) are corrected only at positions where
the format requires the other kind; nothing else is guessed.

``read_plate(lines)`` returns the same text with ``guessed``: whether a character of the
plate's prefix — the province digits or the first series letter — was such a correction.
Those are guesses a reader must not hand on as read: on the simulator's plates the OCR read
a series ``B`` as ``0``, ``6`` and ``8`` on three views of one plate, and a ``17LD`` with its
first digit lost as ``7LD``, which only fits the format as ``71D``. In the number a
correction is safe (only digits belong there; a lost digit fails the format instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "T": "1", "B": "8", "S": "5",
                          "Z": "2", "G": "6"})
TO_LETTER = str.maketrans({"0": "D", "1": "T", "8": "B", "5": "S", "2": "Z", "6": "G"})
SPECIAL_SERIES = ("LD", "KT", "NG", "NN", "QT", "CV", "MĐ", "TĐ", "HC")
ONE_LINE = re.compile(r"^(\d{2})([A-Z]{1,2})(\d{4,5})$")
TWO_TOP = re.compile(r"^(\d{2})([A-Z]Đ?|MĐ)(\d)$")
TWO_MERGED = re.compile(r"^(\d{2})([A-Z])(\d)(\d{5})$")
TWO_BOTTOM = re.compile(r"^(\d{3})(\d{2})$|^(\d{4})$")


def _clean(text: str) -> str:
    text = text.upper().replace("Ð", "Đ")
    return "".join(ch for ch in text if ch.isalnum() or ch == "Đ")


@dataclass(frozen=True, slots=True)
class PlateText:
    text: str  # canonical plate text
    guessed: bool  # a province digit or the series letter was corrected from the other kind


def _fix_prefix(text: str) -> tuple[str, bool]:
    """Province digits first, then the series letter(s); and whether one was corrected."""
    if len(text) < 3:
        return text, False
    head = text[:2].translate(TO_DIGIT)
    series = text[2].translate(TO_LETTER)
    return head + series + text[3:], head != text[:2] or series != text[2]


def normalise_plate(lines: list[str]) -> str | None:
    read = read_plate(lines)
    return read.text if read is not None else None


def read_plate(lines: list[str]) -> PlateText | None:
    """The canonical plate in ``lines`` and whether its prefix was guessed, or None."""
    cleaned = [_clean(line) for line in lines if _clean(line)]
    if not cleaned:
        return None
    if len(cleaned) >= 2:
        (top, guessed), bottom = _fix_prefix(cleaned[0]), cleaned[-1].translate(TO_DIGIT)
        top = top.replace("MD", "MĐ") if top[2:4] == "MD" else top
        if len(top) >= 4:
            top = top[:-1] + top[-1].translate(TO_DIGIT)
        m_top, m_bottom = TWO_TOP.match(top), TWO_BOTTOM.match(bottom)
        if m_top and m_bottom:
            digits = bottom if m_bottom.group(3) is None else bottom
            tail = f"{digits[:3]}.{digits[3:]}" if len(digits) == 5 else digits
            return PlateText(f"{m_top.group(1)}-{m_top.group(2)}{m_top.group(3)} {tail}", guessed)
        joined = "".join(cleaned)
    else:
        joined = cleaned[0]
    text, guessed = _fix_prefix(joined)
    merged = TWO_MERGED.match(text[:3] + text[3:4].translate(TO_DIGIT) + text[4:].translate(TO_DIGIT)) \
        if not text[3:5] == "LD" and len(text) in (9, 10) and text[3:4] not in ("D",) else None
    if merged and len(text) == 9:
        province, series, digit, tail = merged.groups()
        return PlateText(f"{province}-{series}{digit} {tail[:3]}.{tail[3:]}", guessed)
    series_len = 2 if text[2:4] in SPECIAL_SERIES or text[2:4] == "LD" else 1
    head, rest = text[:2 + series_len], text[2 + series_len:].translate(TO_DIGIT)
    m = ONE_LINE.match(head + rest)
    if not m:
        return None
    province, series, digits = m.groups()
    if len(digits) == 5:
        return PlateText(f"{province}{series}-{digits[:3]}.{digits[3:]}", guessed)
    return PlateText(f"{province}{series}-{digits}", guessed)
