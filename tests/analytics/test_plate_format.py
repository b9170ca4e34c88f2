"""Vietnamese plate normalisation and validation, table-driven."""

from __future__ import annotations

import pytest

from analytics.plate_format import normalise_plate, read_plate


@pytest.mark.parametrize(("lines", "expected"), [
    (["68A-123.45"], "68A-123.45"),
    (["68A-1234"], "68A-1234"),
    (["68LD-123.45"], "68LD-123.45"),
    (["17-B1", "234.56"], "17-B1 234.56"),
    (["17-MD1", "234.56"], "17-MĐ1 234.56"),  # OCR reads Đ as D: the series is MĐ
    (["17-B1 234.56"], "17-B1 234.56"),  # both lines read as one
    (["6BA-12345"], "68A-123.45"),  # B in a digit position is 8
    (["68A 12345"], "68A-123.45"),
    (["68a-123.45"], "68A-123.45"),
    (["17-81", "234.56"], "17-B1 234.56"),  # 8 in the series letter position is B
    (["17-B1", "2O4.56"], "17-B1 204.56"),  # O in the number is 0
])
def test_valid_reads_are_normalised(lines: list[str], expected: str) -> None:
    assert normalise_plate(lines) == expected


@pytest.mark.parametrize("lines", [
    [], [""], ["HELLO"], ["68A-12"], ["68A-1234567"], ["A8A-123.45"], ["17-B1", "23"], ["TRAFFIC", "CAMERA"],
])
def test_invalid_reads_are_rejected_not_invented(lines: list[str]) -> None:
    assert normalise_plate(lines) is None


@pytest.mark.parametrize(("lines", "expected", "guessed"), [
    (["68A-123.45"], "68A-123.45", False),
    (["17-B1", "2O4.56"], "17-B1 204.56", False),  # a letter in the number is no guess: only digits go there
    (["17-MD1", "234.56"], "17-MĐ1 234.56", False),  # Đ read as D is the font, not a guess
    (["170-794.43"], "17D-794.43", True),  # the plate said 17B: a digit where the series letter goes
    (["176-867.04"], "17G-867.04", True),
    (["17-81", "234.56"], "17-B1 234.56", True),
    (["7LD-923.32"], "71D-923.32", True),  # 17LD with its first digit lost fits only as 71D
    (["6BA-12345"], "68A-123.45", True),
])
def test_a_corrected_province_digit_or_series_letter_is_reported_as_guessed(
        lines: list[str], expected: str, guessed: bool) -> None:
    read = read_plate(lines)
    assert read is not None and (read.text, read.guessed) == (expected, guessed)
