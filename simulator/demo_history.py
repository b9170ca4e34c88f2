"""A labelled, realistic history for the demo registry: 15-minute traffic counts and
violations for every violation camera, hourly camera checks and the outages behind them.

Shape, as real provincial traffic has it: morning (7–8 h) and evening (17–18 h) peaks in
Vietnam time, lighter weekends, the Tết dip and smaller dips on national holidays, rain
days (less traffic, more red-light and wrong-lane), site propensities (bridges: speeding;
city intersections: red light, stop line, no helmet), cameras that fail and are repaired
over hours to days (no counts or violations while down).

Contract: ``build_history(cameras, days=…, end=…, seed=…)`` returns DataFrames whose
columns are exactly the fields of the matching ``analytics.records`` types, every row with
``source='demo'``. Every value is a pure function of (seed, window, camera): rebuilding
the same window gives identical rows; ``demo prepare`` replaces the demo rows of its window,
so a second run adds nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

CLASSES = ("motorbike", "car", "bus", "truck", "bicycle")
CLASS_SHARE = np.array([0.72, 0.17, 0.02, 0.05, 0.04])
VN_OFFSET = timedelta(hours=7)
TET = (date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6))  # first day of Tết
HOLIDAYS = ((4, 30), (5, 1), (9, 1), (9, 2), (1, 1))
STATUSES = ("offline", "frozen", "blurred", "occluded", "view_shifted", "black", "dark")
STATUS_P = np.array([0.45, 0.15, 0.1, 0.08, 0.08, 0.07, 0.07])
# violations per vehicle, by site kind
PROPENSITY = {
    "intersection": {"red_light": 0.0022, "stop_line": 0.0030, "wrong_lane": 0.0009, "wrong_way": 0.0003,
                     "no_helmet": 0.0016},
    "gateway_bridge": {"speeding": 0.0040, "wrong_lane": 0.0012, "wrong_way": 0.0002},
    "other": {"speeding": 0.0015, "wrong_lane": 0.0010, "illegal_stop": 0.0008, "wrong_way": 0.0003},
}
PLATE_LETTERS = np.array(list("ABCDEFGHKLMNPSTVXZ"))


@dataclass(frozen=True, kw_only=True, slots=True)
class HistoryCamera:
    camera_id: str
    kind: str  # violation | security | anpr
    site_kind: str
    plate_prefix: str  # 68 | 17
    volume: float = 1.0  # relative traffic of the site


@dataclass(frozen=True, kw_only=True, slots=True)
class History:
    start_utc: datetime  # the window covered: local midnights, in UTC
    end_utc: datetime
    count_bins: pd.DataFrame
    violations: pd.DataFrame
    camera_checks: pd.DataFrame
    outages: pd.DataFrame


def _rng(seed: int, *parts: object) -> np.random.Generator:
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def day_factor(day: date) -> float:
    """Traffic relative to a normal weekday (Vietnam calendar)."""
    factor = {5: 0.82, 6: 0.7}.get(day.weekday(), 1.0)
    for tet in TET:
        offset = (day - tet).days
        if -2 <= offset <= 6:
            factor *= 0.35 if 0 <= offset <= 3 else 0.55
    if (day.month, day.day) in HOLIDAYS:
        factor *= 0.6
    return factor


def hourly_profile() -> np.ndarray:
    """Share of a day's traffic in each 15-minute bin (96 bins, Vietnam local time)."""
    t = np.arange(96) / 4.0
    base = 0.15 + 0.9 * np.exp(-((t - 7.4) / 1.1) ** 2) + 1.0 * np.exp(-((t - 17.6) / 1.3) ** 2)
    base += 0.55 * np.exp(-((t - 12.0) / 3.5) ** 2)
    base[(t < 5) | (t >= 23)] *= 0.25
    return base / base.sum()


def rain_day(seed: int, day: date) -> bool:
    wet_season = 5 <= day.month <= 11
    return bool(_rng(seed, "rain", day.toordinal()).random() < (0.35 if wet_season else 0.08))


def _outages(cam: HistoryCamera, seed: int, start: datetime, end: datetime) -> list[tuple[datetime, datetime, str]]:
    """Failure periods of one camera, from a per-camera stream anchored in 2024 (stable across runs)."""
    rng = _rng(seed, "outages", cam.camera_id)
    t = datetime(2024, 1, 1, tzinfo=UTC)
    out = []
    while t < end:
        t += timedelta(days=float(rng.exponential(75.0)))
        duration = timedelta(hours=float(min(rng.lognormal(2.6, 1.1), 24 * 12)))
        cause = str(rng.choice(STATUSES, p=STATUS_P))
        if t + duration > start and t < end:
            out.append((t, t + duration, cause))
        t += duration
    return out


def history_window(days: int, end: date | None = None) -> tuple[datetime, datetime]:
    """UTC bounds of the ``days`` Vietnam-local days before ``end`` (default today)."""
    end = end or datetime.now(UTC).date()
    first = end - timedelta(days=days)
    return (datetime.combine(first, datetime.min.time(), UTC) - VN_OFFSET,
            datetime.combine(end, datetime.min.time(), UTC) - VN_OFFSET)


def build_history(cameras: list[HistoryCamera], *, days: int = 180, end: date | None = None, seed: int = 2024,
                  now: datetime | None = None) -> History:
    """History for the ``days`` days before ``end`` (default: today, UTC); ``now`` bounds
    open outages (default: the end of the last day)."""
    end = end or datetime.now(UTC).date()
    first = end - timedelta(days=days)
    start_dt, end_dt = history_window(days, end)
    now = now or end_dt
    profile = hourly_profile()
    bins_per_day = 96
    outages: dict[str, list[tuple[datetime, datetime, str]]] = {c.camera_id: _outages(c, seed, start_dt, end_dt)
                                                                for c in cameras}
    count_frames, violation_frames = [], []
    day_list = [first + timedelta(days=i) for i in range(days)]
    day_starts = np.array([np.datetime64(datetime.combine(d, datetime.min.time()) - VN_OFFSET, "s") for d in day_list])
    bin_offsets = np.arange(bins_per_day) * np.timedelta64(15, "m")
    all_bins = (day_starts[:, None] + bin_offsets[None, :]).ravel()  # UTC, naive
    factors = np.array([day_factor(d) * (0.85 if rain_day(seed, d) else 1.0) for d in day_list])
    rain = np.array([rain_day(seed, d) for d in day_list])
    for cam in (c for c in cameras if c.kind == "violation"):
        down = np.zeros(all_bins.shape, dtype=bool)
        for o_start, o_end, cause in outages[cam.camera_id]:
            if cause in ("offline", "black", "occluded", "view_shifted", "frozen"):
                lo = np.datetime64(o_start.replace(tzinfo=None), "s")
                hi = np.datetime64(o_end.replace(tzinfo=None), "s")
                down |= (all_bins >= lo) & (all_bins < hi)
        rng = _rng(seed, "counts", cam.camera_id, first.toordinal(), days)
        daily = 14000.0 * cam.volume
        mean = (factors[:, None] * profile[None, :] * daily).ravel()
        per_class = rng.poisson(mean[:, None] * CLASS_SHARE[None, :])
        per_class[down] = 0
        frame = pd.DataFrame({
            "camera_id": cam.camera_id,
            "bin_start": np.repeat(all_bins, len(CLASSES)),
            "vehicle_class": np.tile(np.array(CLASSES), len(all_bins)),
            "movement": "through",
            "count": per_class.ravel().astype(np.int32),
        })
        count_frames.append(frame)
        violation_frames.append(_violations(cam, seed, all_bins, per_class, rain, end_dt, now))
    counts = pd.concat(count_frames, ignore_index=True) if count_frames else pd.DataFrame()
    if not counts.empty:
        counts["bin_start"] = pd.to_datetime(counts["bin_start"]).dt.tz_localize("UTC")
        counts["source"] = "demo"
    violations = pd.concat(violation_frames, ignore_index=True) if violation_frames else pd.DataFrame()
    checks, outage_rows = _checks(cameras, outages, start_dt, end_dt, now, seed)
    return History(start_utc=start_dt, end_utc=end_dt, count_bins=counts, violations=violations, camera_checks=checks, outages=outage_rows)


def _violations(cam: HistoryCamera, seed: int, bins: np.ndarray, per_class: np.ndarray, rain: np.ndarray,
                end_dt: datetime, now: datetime) -> pd.DataFrame:
    kinds = PROPENSITY.get(cam.site_kind, PROPENSITY["other"])
    rng = _rng(seed, "violations", cam.camera_id, str(bins[0]), len(bins))
    rain_bins = np.repeat(rain, 96)
    rows = []
    totals = per_class.sum(axis=1)
    for vtype, p in kinds.items():
        rate = p * (1.25 if vtype in ("red_light", "wrong_lane") else 1.0)
        lam = totals * np.where(rain_bins, rate, p)
        n = rng.poisson(lam)
        idx = np.repeat(np.arange(len(bins)), n)
        if idx.size == 0:
            continue
        seconds = rng.integers(0, 900, idx.size)
        cls_p = per_class[idx] / np.maximum(per_class[idx].sum(axis=1, keepdims=True), 1)
        cls_idx = (rng.random(idx.size)[:, None] > np.cumsum(cls_p, axis=1)).sum(axis=1).clip(0, len(CLASSES) - 1)
        vclass = np.array(CLASSES)[cls_idx]
        if vtype == "no_helmet":
            vclass = np.full(idx.size, "motorbike")
        rows.append(pd.DataFrame({"bin": idx, "sec": seconds, "violation_type": vtype, "vehicle_class": vclass}))
    if not rows:
        return pd.DataFrame()
    frame = pd.concat(rows, ignore_index=True).sort_values(["bin", "sec", "violation_type"], kind="stable")
    occurred = pd.to_datetime(bins[frame["bin"].to_numpy()]) + pd.to_timedelta(frame["sec"].to_numpy(), unit="s")
    n = len(frame)
    moto = frame["vehicle_class"].isin(["motorbike", "bicycle"]).to_numpy()
    letters = PLATE_LETTERS[rng.integers(0, len(PLATE_LETTERS), n)]
    digit = rng.integers(1, 10, n)
    a, b = rng.integers(100, 1000, n), rng.integers(0, 100, n)
    plates = np.where(moto, [f"{cam.plate_prefix}-{x}{d} {p}.{q:02d}" for x, d, p, q in zip(letters, digit, a, b)],
                      [f"{cam.plate_prefix}{x}-{p}.{q:02d}" for x, p, q in zip(letters, a, b)])
    confidence = np.round(rng.beta(12, 1.5, n), 3)
    needs_review = confidence < 0.8
    speed = np.where(frame["violation_type"].to_numpy() == "speeding", np.round(rng.uniform(58, 95, n), 1), np.nan)
    finding = np.full(n, "", dtype=object)
    measured = ~np.isnan(speed)
    finding[measured] = [f"{s:.0f} km/h" for s in speed[measured]]
    stamp = occurred.strftime("%Y%m%d%H%M%S").to_numpy()
    nth = pd.DataFrame({"s": stamp, "t": frame["violation_type"].to_numpy()}).groupby(["s", "t"]).cumcount().to_numpy()
    ids = [f"demo-{cam.camera_id}-{s}-{t}-{k}" for s, t, k in zip(stamp, frame["violation_type"].to_numpy(), nth)]
    age_days = (pd.Timestamp(now.replace(tzinfo=None)) - occurred).days.to_numpy()
    state = np.where(age_days > 30, rng.choice(["resolved", "published", "rejected"], n, p=[0.78, 0.12, 0.10]),
                     np.where(age_days > 10, rng.choice(["notice_sent", "approved", "rejected"], n, p=[0.7, 0.2, 0.1]),
                              rng.choice(["detected", "verified", "approved"], n, p=[0.5, 0.3, 0.2])))
    return pd.DataFrame({
        "violation_id": ids,
        "camera_id": cam.camera_id,
        "violation_type": frame["violation_type"].to_numpy(),
        "occurred_at": occurred.tz_localize("UTC"),
        "track_id": np.arange(n, dtype=np.int64),
        "vehicle_class": frame["vehicle_class"].to_numpy(),
        "plate_text": np.where(needs_review & (confidence < 0.6), None, plates),
        "plate_confidence": confidence,
        "plate_needs_review": needs_review,
        "speed_kmh": speed,
        "evidence_path": None,
        "run_id": None,
        "workflow_state": state,
        "source": "demo",
        "finding": finding,
    })


def _checks(cameras: list[HistoryCamera], outages: dict[str, list[tuple[datetime, datetime, str]]],
            start: datetime, end: datetime, now: datetime, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    hours = pd.date_range(start, end, freq="1h", inclusive="left")
    frames, outage_rows = [], []
    hour_values = hours.to_numpy()
    for cam in cameras:
        status = np.full(len(hours), "online", dtype=object)
        for o_start, o_end, cause in outages[cam.camera_id]:
            mask = (hours >= o_start) & (hours < o_end)
            status[mask] = cause
            ended = o_end if o_end <= now else None
            outage_id = f"demo-{cam.camera_id}-{o_start:%Y%m%d%H%M}"
            outage_rows.append({"outage_id": outage_id, "camera_id": cam.camera_id, "started_at": o_start,
                                "ended_at": ended, "cause": cause, "source": "demo"})
        rng = _rng(seed, "latency", cam.camera_id)
        latency = np.round(rng.gamma(4.0, 30.0, len(hours)), 1)
        latency = np.where(status == "offline", np.nan, latency)
        frames.append(pd.DataFrame({"camera_id": cam.camera_id, "checked_at": hour_values, "status": status,
                                    "latency_ms": latency, "detail": "", "source": "demo"}))
    checks = pd.concat(frames, ignore_index=True)
    checks["checked_at"] = pd.to_datetime(checks["checked_at"], utc=True)
    out = pd.DataFrame(outage_rows, columns=["outage_id", "camera_id", "started_at", "ended_at", "cause", "source"])
    return checks, out
