"""Reference geodata: province outlines (2008 and derived 2025), national roads, Vietnam.

Contract: every loader returns a GeoDataFrame in EPSG:4326 with valid geometries
(invalid ones are repaired with ``make_valid``) and the columns documented on the
function. Nothing is read at import time; ``GeoData`` reads each file on first use and
keeps it for the life of the object (the app builds one at start-up).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
from shapely import make_valid
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

log = logging.getLogger(__name__)

CRS = "EPSG:4326"
BoundaryEdition = Literal["2008", "2025"]

# Distance tolerance for "inside Vietnam": the reference outline is coarse (coasts ~1 km,
# borders up to ~4 km off), so points within this many km of it are accepted.
VIETNAM_TOLERANCE_KM = 5.0
_KM_PER_DEG = 111.32


class GeoDataError(RuntimeError):
    """A reference geodata file is missing or unusable; the message names the file."""


def _read(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise GeoDataError(f"missing geodata file {path}")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types; all mean an unusable file
        raise GeoDataError(f"cannot read geodata file {path}: {exc}") from exc
    if frame.crs is None:
        raise GeoDataError(f"{path} has no CRS; expected {CRS}")
    frame = frame.to_crs(CRS)
    invalid = ~frame.geometry.is_valid
    if invalid.any():
        log.info("%s: repairing %d invalid geometries", path.name, int(invalid.sum()))
        frame.loc[invalid, "geometry"] = frame.loc[invalid, "geometry"].apply(make_valid)
    return frame


@dataclass
class GeoData:
    """Lazy, per-instance cache of the reference layers under ``geo_dir``."""

    geo_dir: Path
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    def _cached(self, key: str, build):  # type: ignore[no-untyped-def]
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def provinces(self, edition: BoundaryEdition) -> gpd.GeoDataFrame:
        """The two provinces of the demo in one edition.

        Columns: ``code`` (province code of that edition), ``name``, ``edition``,
        ``official`` (False for the derived 2025 outlines), ``note``, ``geometry``.
        """

        def build() -> gpd.GeoDataFrame:
            if edition == "2008":
                raw = _read(self.geo_dir / "provinces_kg_tb_2008.geojson")
                out = gpd.GeoDataFrame(
                    {
                        "code": raw["ma_tinh"].astype(str),
                        "name": raw["shapeName"].astype(str),
                        "edition": "2008",
                        "official": True,
                        "note": "geoBoundaries ADM1 2008",
                    },
                    geometry=raw.geometry,
                    crs=CRS,
                )
            else:
                raw = _read(self.geo_dir / "provinces_merged_2025_derived.geojson")
                out = gpd.GeoDataFrame(
                    {
                        "code": raw["code_2025"].astype(str),
                        "name": raw["name_2025"].astype(str),
                        "edition": "2025",
                        "official": False,
                        "note": raw["note"].astype(str),
                    },
                    geometry=raw.geometry,
                    crs=CRS,
                )
            return out

        if edition not in ("2008", "2025"):
            raise ValueError(f"unknown boundary edition {edition!r}")
        return self._cached(f"provinces-{edition}", build)  # type: ignore[return-value]

    def roads(self) -> gpd.GeoDataFrame:
        """National roads (railways dropped). Columns: ``name``, ``area``, ``geometry``."""

        def build() -> gpd.GeoDataFrame:
            raw = _read(self.geo_dir / "national_roads_kg_tb.geojson")
            raw = raw[raw["loai_duong"] != "Đường sắt"]
            return gpd.GeoDataFrame(
                {"name": raw["ten"].astype(str), "area": raw["area"].astype(str)},
                geometry=raw.geometry,
                crs=CRS,
            ).reset_index(drop=True)

        return self._cached("roads", build)  # type: ignore[return-value]

    def vietnam(self) -> BaseGeometry:
        """Union of all pre-2025 province outlines (mainland and islands)."""

        def build() -> BaseGeometry:
            raw = _read(self.geo_dir / "vietnam_provinces_2008.geojson")
            return raw.geometry.union_all()

        return self._cached("vietnam", build)  # type: ignore[return-value]

    def vietnam_outline(self) -> BaseGeometry:
        """The Vietnam outline simplified for drawing as map context (~1 km tolerance)."""
        return self._cached("vietnam-outline", lambda: self.vietnam().simplify(0.01))  # type: ignore[return-value]

    def distance_outside_vietnam_km(self, lon: float, lat: float) -> float:
        """Approximate distance (km) from the point to the Vietnam outline; 0 inside."""
        return float(self.vietnam().distance(Point(lon, lat))) * _KM_PER_DEG
