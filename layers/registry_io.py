"""Import and export of the camera registry (cameras and sites) as CSV, GeoJSON or GeoPackage.

Contract:
- ``read_cameras``/``read_sites`` parse a whole file and return typed records, or raise
  ``RegistryFileError`` listing *every* bad row with its location (CSV line, GeoJSON
  feature or GeoPackage row), the field and the reason. A file with any bad row yields
  no records, so the caller writes nothing: all or nothing.
- Checks: missing columns, unparsable or out-of-range values, coordinates not a point or
  outside Vietnam (with the tolerance of ``geodata.VIETNAM_TOLERANCE_KM``), duplicate ids,
  cameras referring to an unknown site.
- ``write_cameras``/``write_sites`` export a DataFrame of the warehouse tables; the format
  follows the file suffix (.csv, .geojson/.json, .gpkg).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from analytics.records import (
    Area,
    Camera,
    CameraGroup,
    CameraGroupMember,
    CameraKind,
    DataSource,
    LocationQuality,
    Site,
    SiteArea,
)
from layers.geodata import CRS, VIETNAM_TOLERANCE_KM, GeoData

SUPPORTED_SUFFIXES = (".csv", ".geojson", ".json", ".gpkg")

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_PROVINCE_CODE = re.compile(r"^\d{2}$")


@dataclass(frozen=True, kw_only=True, slots=True)
class RowProblem:
    location: str  # "line 7", "feature 3", "row 12"
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}, {self.field}: {self.reason}"


class RegistryFileError(ValueError):
    """The file was rejected whole; ``problems`` lists every reason."""

    def __init__(self, path: Path, problems: list[RowProblem]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: rejected, nothing was written ({len(problems)} problem(s)):\n{shown}")


class _Bad(ValueError):
    """Raised by a field parser; the message is the reason shown to the user."""


def _text(value: Any, *, max_len: int = 300) -> str:
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()
    if not text:
        raise _Bad("is empty")
    if len(text) > max_len:
        raise _Bad(f"is longer than {max_len} characters")
    if any(ord(ch) < 32 for ch in text):
        raise _Bad("contains control characters")
    return text


def _ident(value: Any) -> str:
    text = _text(value, max_len=64)
    if not _ID.match(text):
        raise _Bad(f"{text!r} is not a valid id (letters, digits, _ . -; at most 64)")
    return text


def _float(value: Any, lo: float, hi: float, *, hi_open: bool = False) -> float:
    try:
        number = float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        raise _Bad(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise _Bad(f"{value!r} is not a finite number")
    if number < lo or number > hi or (hi_open and number == hi):
        bracket = ")" if hi_open else "]"
        raise _Bad(f"{number} is outside [{lo}, {hi}{bracket}")
    return number


def _province(value: Any) -> str:
    text = _text(value, max_len=2)
    text = text.zfill(2)
    if not _PROVINCE_CODE.match(text):
        raise _Bad(f"{value!r} is not a two-digit province code")
    return text


def _url(schemes: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _text(value, max_len=500)
        if not text.lower().startswith(tuple(f"{s}://" for s in schemes)):
            raise _Bad(f"{text!r} must start with one of {', '.join(s + '://' for s in schemes)}")
        return text

    return parse


def _date(value: Any) -> date:
    if isinstance(value, datetime):  # GeoJSON/GeoPackage readers turn dates into datetimes
        if value.time() != datetime.min.time():
            raise _Bad(f"{value!r} has a time of day; expected a calendar date")
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value, max_len=20)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _Bad(f"{text!r} is not a date (YYYY-MM-DD or dd/mm/yyyy)")


def _enum(kind: type) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        text = _text(value, max_len=40).lower()
        try:
            return kind(text)
        except ValueError:
            raise _Bad(f"{text!r} is not one of {', '.join(m.value for m in kind)}") from None

    return parse


_CAMERA_FIELDS: dict[str, Callable[[Any], Any]] = {
    "camera_id": _ident,
    "name": _text,
    "kind": _enum(CameraKind),
    "site_id": _ident,
    "lon": lambda v: _float(v, -180.0, 180.0),
    "lat": lambda v: _float(v, -90.0, 90.0),
    "heading_deg": lambda v: _float(v, 0.0, 360.0, hi_open=True),
    "province_code": _province,
    "province_code_2025": _province,
    "stream_url": _url(("rtsp", "rtsps", "http", "https")),
    "snapshot_url": _url(("http", "https")),
    "contractor": _text,
    "installed_on": _date,
    "location_quality": _enum(LocationQuality),
}
_SITE_FIELDS: dict[str, Callable[[Any], Any]] = {
    "site_id": _ident,
    "name": _text,
    "kind": lambda v: _text(v, max_len=40),
    "province_code": _province,
    "province_code_2025": _province,
    "lon": lambda v: _float(v, -180.0, 180.0),
    "lat": lambda v: _float(v, -90.0, 90.0),
    "location_quality": _enum(LocationQuality),
}
CAMERA_COLUMNS = tuple(_CAMERA_FIELDS)
SITE_COLUMNS = tuple(_SITE_FIELDS)


def _load_table(path: Path) -> tuple[pd.DataFrame, Callable[[int], str]]:
    """Read the file into string-ish columns; lon/lat come from point geometries."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise RegistryFileError(path, [RowProblem(location="file", field="(format)",
                                                  reason=f"unsupported suffix {suffix!r}; use {', '.join(SUPPORTED_SUFFIXES)}")])
    if not path.exists():
        raise RegistryFileError(path, [RowProblem(location="file", field="(file)", reason="does not exist")])
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            return frame, lambda i: f"line {i + 2}"
        geo = gpd.read_file(path)
    except Exception as exc:  # parser errors from pandas/pyogrio: report, never a traceback
        raise RegistryFileError(path, [RowProblem(location="file", field="(content)",
                                                  reason=f"cannot be read: {exc}")]) from exc
    where = "feature" if suffix in (".geojson", ".json") else "row"
    if geo.crs is not None and geo.crs.to_string() != CRS:
        geo = geo.to_crs(CRS)
    frame = pd.DataFrame(geo.drop(columns="geometry"))
    lons: list[Any] = []
    lats: list[Any] = []
    for geom in geo.geometry:
        if isinstance(geom, Point) and not geom.is_empty:
            lons.append(geom.x)
            lats.append(geom.y)
        else:
            kind = "no geometry" if geom is None or geom.is_empty else f"a {geom.geom_type}"
            lons.append(f"<{kind}, expected a Point>")
            lats.append(f"<{kind}, expected a Point>")
    frame["lon"], frame["lat"] = lons, lats
    return frame, lambda i: f"{where} {i + 1}"


def _validate(path: Path, fields: dict[str, Callable[[Any], Any]], id_field: str | None,
              geodata: GeoData) -> tuple[list[dict[str, Any]], list[RowProblem], Callable[[int], str]]:
    frame, locate = _load_table(path)
    missing = [c for c in fields if c not in frame.columns]
    if missing:
        raise RegistryFileError(path, [RowProblem(location="header", field=c, reason="missing column")
                                       for c in missing])
    if frame.empty:
        raise RegistryFileError(path, [RowProblem(location="file", field="(rows)", reason="has no rows")])
    problems: list[RowProblem] = []
    rows: list[dict[str, Any]] = []
    first_seen: dict[str, int] = {}
    for i, raw in enumerate(frame.to_dict(orient="records")):
        parsed: dict[str, Any] = {}
        for name, parse in fields.items():
            try:
                parsed[name] = parse(raw.get(name))
            except _Bad as bad:
                problems.append(RowProblem(location=locate(i), field=name, reason=str(bad)))
        if "lon" in parsed and "lat" in parsed:
            off = geodata.distance_outside_vietnam_km(parsed["lon"], parsed["lat"])
            if off > VIETNAM_TOLERANCE_KM:
                problems.append(RowProblem(location=locate(i), field="lon/lat",
                                           reason=f"point ({parsed['lon']}, {parsed['lat']}) is outside Vietnam "
                                                  f"({off:.0f} km from the outline)"))
        ident = parsed.get(id_field) if id_field else None
        if ident is not None:
            if ident in first_seen:
                problems.append(RowProblem(location=locate(i), field=id_field,
                                           reason=f"duplicate id {ident!r} (first at {locate(first_seen[ident])})"))
            else:
                first_seen[ident] = i
        rows.append(parsed)
    return rows, problems, locate


def read_cameras(path: Path, geodata: GeoData, known_sites: Collection[str],
                 source: DataSource = DataSource.REGISTRY) -> list[Camera]:
    """Parse and validate a camera file; ``known_sites`` are the site ids cameras may use
    (those already stored plus those being imported with them)."""
    rows, problems, locate = _validate(path, _CAMERA_FIELDS, "camera_id", geodata)
    for i, row in enumerate(rows):
        site = row.get("site_id")
        if site is not None and site not in known_sites:
            problems.append(RowProblem(location=locate(i), field="site_id",
                                       reason=f"unknown site {site!r}; import the site first"))
    if problems:
        raise RegistryFileError(path, sorted(problems, key=_order))
    return [Camera(**row, source=source) for row in rows]


def read_sites(path: Path, geodata: GeoData, source: DataSource = DataSource.REGISTRY) -> list[Site]:
    """Parse and validate a site file."""
    rows, problems, _ = _validate(path, _SITE_FIELDS, "site_id", geodata)
    if problems:
        raise RegistryFileError(path, sorted(problems, key=_order))
    return [Site(**row, source=source) for row in rows]


@dataclass(frozen=True, kw_only=True, slots=True)
class ScopeData:
    areas: list[Area]
    site_areas: list[SiteArea]
    groups: list[CameraGroup]
    members: list[CameraGroupMember]


def read_scopes(folder: Path, geodata: GeoData, *, known_sites: Collection[str],
                known_cameras: Collection[str]) -> ScopeData:
    """Read ``areas.csv``, ``site_areas.csv``, ``camera_groups.csv`` and
    ``camera_group_members.csv`` from ``folder``; every reference must resolve."""
    specs = {
        "areas.csv": ({"area_id": _ident, "name": _text, "province_code": _province}, "area_id"),
        "site_areas.csv": ({"site_id": _ident, "area_id": _ident}, "site_id"),
        "camera_groups.csv": ({"group_id": _ident, "name": _text, "area_id": _ident}, "group_id"),
        "camera_group_members.csv": ({"group_id": _ident, "camera_id": _ident}, None),
    }
    parsed: dict[str, list[dict[str, Any]]] = {}
    for name, (fields, id_field) in specs.items():
        rows, problems, locate = _validate(folder / name, fields, id_field, geodata)
        refs = {"area_id": None, "site_id": known_sites, "camera_id": known_cameras, "group_id": None}
        area_ids = {r["area_id"] for r in parsed.get("areas.csv", [])}
        group_ids = {r["group_id"] for r in parsed.get("camera_groups.csv", [])}
        for i, row in enumerate(rows):
            for field, known in refs.items():
                if field not in row or (name, field) in (("areas.csv", "area_id"), ("camera_groups.csv", "group_id")):
                    continue  # the table's own id, not a reference
                pool = known if known is not None else (area_ids if field == "area_id" else group_ids)
                if row[field] not in pool:
                    problems.append(RowProblem(location=locate(i), field=field, reason=f"unknown {field} {row[field]!r}"))
        if problems:
            raise RegistryFileError(folder / name, sorted(problems, key=_order))
        parsed[name] = rows
    return ScopeData(
        areas=[Area(**r) for r in parsed["areas.csv"]],
        site_areas=[SiteArea(**r) for r in parsed["site_areas.csv"]],
        groups=[CameraGroup(**r) for r in parsed["camera_groups.csv"]],
        members=[CameraGroupMember(**r) for r in parsed["camera_group_members.csv"]],
    )


def _order(problem: RowProblem) -> tuple[int, str]:
    digits = re.findall(r"\d+", problem.location)
    return (int(digits[0]) if digits else 0, problem.field)


def _write(frame: pd.DataFrame, columns: tuple[str, ...], path: Path, layer: str) -> Path:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValueError(f"{path}: unsupported suffix {suffix!r}; use {', '.join(SUPPORTED_SUFFIXES)}")
    out = frame.loc[:, list(columns)].copy()
    for col in ("installed_on",):
        if col in out.columns:
            out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    if suffix == ".csv":
        out.to_csv(tmp, index=False, encoding="utf-8")
    else:
        geo = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out["lon"], out["lat"]), crs=CRS)
        driver = "GPKG" if suffix == ".gpkg" else "GeoJSON"
        geo.to_file(tmp, driver=driver, layer=layer if driver == "GPKG" else None)
    tmp.replace(path)
    return path


def write_cameras(frame: pd.DataFrame, path: Path) -> Path:
    """Export cameras (columns of ``CAMERA_COLUMNS``) atomically to ``path``."""
    return _write(frame, CAMERA_COLUMNS, path, "cameras")


def write_sites(frame: pd.DataFrame, path: Path) -> Path:
    """Export sites (columns of ``SITE_COLUMNS``) atomically to ``path``."""
    return _write(frame, SITE_COLUMNS, path, "sites")
