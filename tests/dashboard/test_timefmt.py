from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from dashboard.timefmt import format_date, format_local


def test_utc_is_shown_in_vietnam_time() -> None:
    assert format_local(datetime(2025, 1, 1, 17, 30, tzinfo=UTC)) == "02/01/2025 00:30"
    assert format_local(pd.Timestamp("2025-06-30 23:59", tz="UTC")) == "01/07/2025 06:59"


def test_naive_values_are_taken_as_utc() -> None:
    assert format_local(datetime(2025, 1, 1, 0, 0)) == "01/01/2025 07:00"


def test_missing_values() -> None:
    assert format_local(None) == "" and format_local(pd.NaT) == ""
    assert format_date(None) == ""


def test_dates() -> None:
    assert format_date(date(2024, 12, 5)) == "05/12/2024"
    assert format_date(pd.Timestamp("2021-03-01")) == "01/03/2021"
