"""Display of stored UTC instants in Vietnam time as dd/mm/yyyy HH:MM.

Contract: inputs are UTC (timezone-aware, or naive values that the warehouse returned
as UTC); missing values (None/NaT) format as ``""``. Dates format as dd/mm/yyyy.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

DISPLAY_TZ = "Asia/Ho_Chi_Minh"


def format_local(value: datetime | pd.Timestamp | None, tz: str = DISPLAY_TZ) -> str:
    """UTC instant → "dd/mm/yyyy HH:MM" in ``tz``."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return ""
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return ""
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(UTC)
    return stamp.tz_convert(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")


def format_date(value: date | datetime | pd.Timestamp | None) -> str:
    """Calendar date → "dd/mm/yyyy"."""
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return ""
    return pd.Timestamp(value).strftime("%d/%m/%Y")


def now_local(tz: str = DISPLAY_TZ) -> str:
    return format_local(datetime.now(UTC), tz)
