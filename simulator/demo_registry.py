"""Generate the demo camera registry that mirrors the real Kiên Giang and Thái Bình systems.

Kiên Giang: 353 cameras, 36 of them traffic-violation cameras (9 intersections × 4
approaches in Rạch Giá, Hà Tiên and Phú Quốc), ANPR at the QL80/QL61/QL63 gateways and
security cameras at key points of Rạch Giá, Hà Tiên, Phú Quốc and along the national roads.
Thái Bình: 128 cameras at 5 gateway bridges, 6 city intersections and 18 key points.

Seed sites (``seed_sites.csv``) are used where known. Every other position is placed
plausibly (inside the province outline) and marked ``approximate``; only the city-centre
points taken from an authoritative coordinate are ``surveyed``. The output is fully
determined by the inputs and the seed, so the shipped CSVs can be regenerated exactly.
"""

from __future__ import annotations

import csv
import json
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

SITE_COLUMNS = (
    "site_id", "name", "kind", "province_code", "province_code_2025", "lon", "lat",
    "location_quality", "source_note",
)
CAMERA_COLUMNS = (
    "camera_id", "name", "kind", "site_id", "lon", "lat", "heading_deg", "province_code",
    "province_code_2025", "stream_url", "snapshot_url", "contractor", "installed_on",
    "location_quality",
)
VIRTUAL_CAMERA_BASE = "http://127.0.0.1:8090/cameras"
_M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Province:
    key: str  # KG / TB, used in ids
    name: str
    code: str
    code_2025: str
    outline: BaseGeometry


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoSite:
    site_id: str
    name: str
    kind: str
    province: Province
    lon: float
    lat: float
    quality: str
    note: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoCamera:
    camera_id: str
    name: str
    kind: str
    site: DemoSite
    lon: float
    lat: float
    heading_deg: float
    contractor: str
    installed_on: date
    quality: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoRegistry:
    sites: tuple[DemoSite, ...]
    cameras: tuple[DemoCamera, ...]


# Approach directions of a 4-way intersection: (Vietnamese label, bearing from centre).
_APPROACHES = (("hướng Bắc", 0.0), ("hướng Đông", 90.0), ("hướng Nam", 180.0), ("hướng Tây", 270.0))

_KG_INTERSECTIONS = (
    # name, lon, lat (approximate positions in the city grid)
    ("Ngã tư Nguyễn Trung Trực – Lâm Quang Ky, Rạch Giá", 105.0862, 10.0128),
    ("Ngã tư Trần Phú – Nguyễn Trung Trực, Rạch Giá", 105.0818, 10.0172),
    ("Ngã tư Mạc Cửu – Lê Lợi, Rạch Giá", 105.0846, 10.0106),
    ("Ngã tư Ngô Quyền – Lạc Hồng, Rạch Giá", 105.0893, 10.0041),
    ("Ngã tư Nguyễn Bỉnh Khiêm – Trần Quang Khải, Rạch Giá", 105.0905, 10.0220),
    ("Ngã tư 3 Tháng 2 – Tôn Đức Thắng, Rạch Giá", 105.0960, 10.0005),
    ("Ngã tư Mạc Thiên Tích – Tô Châu, Hà Tiên", 104.4890, 10.3840),
    ("Ngã tư Nguyễn Trung Trực – 30 Tháng 4, Dương Đông, Phú Quốc", 103.9660, 10.2160),
    ("Ngã tư Trần Hưng Đạo – Nguyễn Văn Cừ, Phú Quốc", 103.9710, 10.2040),
)
_TB_BRIDGES = (
    # name, lon, lat, seed name prefix (position from seed_sites.csv), road bearing when no seed
    ("Cầu Tân Đệ (QL10, sông Hồng)", None, None, "Cầu Tân Đệ", None),
    ("Cầu Nghìn (QL10, sông Hóa)", None, None, "Cầu Nghìn", None),
    ("Cầu Triều Dương (QL39, sông Luộc)", 106.2040, 20.6560, None, 20.0),
    ("Cầu Hiệp (sông Luộc)", 106.3280, 20.6990, None, 0.0),
    ("Cầu Thái Hà (sông Hồng)", 106.1640, 20.6150, None, 60.0),
)
_TB_INTERSECTIONS = (
    ("Ngã tư Lý Bôn – Trần Hưng Đạo, TP Thái Bình", 106.3395, 20.4480),
    ("Ngã tư Lê Lợi – Quang Trung, TP Thái Bình", 106.3440, 20.4445),
    ("Ngã tư Trần Thái Tông – Lý Thường Kiệt, TP Thái Bình", 106.3355, 20.4545),
    ("Ngã tư Kỳ Đồng – Hai Bà Trưng, TP Thái Bình", 106.3470, 20.4500),
    ("Ngã tư Long Hưng – Hùng Vương, TP Thái Bình", 106.3290, 20.4410),
    ("Ngã tư Lý Thái Tổ – Trần Lãm, TP Thái Bình", 106.3520, 20.4385),
)
_STREETS_RACH_GIA = (
    "Nguyễn Trung Trực", "Lâm Quang Ky", "Trần Phú", "Mạc Cửu", "Lê Lợi", "Ngô Quyền",
    "Lạc Hồng", "Nguyễn Bỉnh Khiêm", "Trần Quang Khải", "3 Tháng 2", "Tôn Đức Thắng",
    "Nguyễn Hùng Sơn", "Phan Thị Ràng", "Huỳnh Tịnh Của", "Lý Thường Kiệt",
)
_STREETS_HA_TIEN = ("Mạc Thiên Tích", "Tô Châu", "Trần Hầu", "Mạc Tử Hoàng", "Đông Hồ", "Lam Sơn")
_STREETS_PHU_QUOC = ("30 Tháng 4", "Nguyễn Trung Trực", "Trần Hưng Đạo", "Bạch Đằng", "Hùng Vương", "Cách Mạng Tháng 8")
_STREETS_THAI_BINH = (
    "Lý Bôn", "Trần Hưng Đạo", "Lê Lợi", "Quang Trung", "Trần Thái Tông", "Kỳ Đồng",
    "Hai Bà Trưng", "Lý Thường Kiệt", "Hùng Vương", "Long Hưng", "Trần Lãm", "Lý Thái Tổ",
)


def _offset(lon: float, lat: float, bearing_deg: float, metres: float) -> tuple[float, float]:
    """Point ``metres`` away from (lon, lat) along ``bearing_deg`` (0 = north, clockwise)."""
    b = math.radians(bearing_deg)
    dlat = metres * math.cos(b) / _M_PER_DEG_LAT
    dlon = metres * math.sin(b) / (_M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return round(lon + dlon, 6), round(lat + dlat, 6)


def _bearing(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * math.cos(math.radians(lat1))
    dy = lat2 - lat1
    return round(math.degrees(math.atan2(dx, dy)) % 360.0, 1)


def _load_provinces(geo_dir: Path) -> dict[str, Province]:
    data = json.loads((geo_dir / "provinces_kg_tb_2008.geojson").read_text(encoding="utf-8"))
    by_code = {f["properties"]["ma_tinh"]: shape(f["geometry"]) for f in data["features"]}
    return {
        "KG": Province(key="KG", name="Kiên Giang", code="91", code_2025="91", outline=by_code["91"]),
        "TB": Province(key="TB", name="Thái Bình", code="34", code_2025="33", outline=by_code["34"]),
    }


def _load_seeds(geo_dir: Path) -> list[dict[str, str]]:
    with (geo_dir / "seed_sites.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _road_lines(geo_dir: Path, names: tuple[str, ...]) -> BaseGeometry:
    data = json.loads((geo_dir / "national_roads_kg_tb.geojson").read_text(encoding="utf-8"))
    return unary_union([shape(f["geometry"]) for f in data["features"] if f["properties"]["ten"] in names])


class _Builder:
    """Accumulates sites and cameras with per-province, per-kind running numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sites: list[DemoSite] = []
        self.cameras: list[DemoCamera] = []
        self._numbers: dict[str, int] = {}

    def _next(self, prefix: str) -> int:
        self._numbers[prefix] = self._numbers.get(prefix, 0) + 1
        return self._numbers[prefix]

    def site(self, province: Province, kind: str, name: str, lon: float, lat: float,
             quality: str = "approximate", note: str = "demo placement") -> DemoSite:
        if province.outline.distance(Point(lon, lat)) * 111.0 > 5.0:  # outlines are coarse (± 4 km)
            raise ValueError(f"demo site {name!r} at {lon},{lat} is outside {province.name}")
        site = DemoSite(
            site_id=f"{province.key}-S{self._next(province.key + '-S'):03d}", name=name, kind=kind,
            province=province, lon=round(lon, 6), lat=round(lat, 6), quality=quality, note=note,
        )
        self.sites.append(site)
        return site

    def camera(self, site: DemoSite, kind: str, name: str, lon: float, lat: float, heading: float,
               contractor: str, installed_on: date) -> DemoCamera:
        code = {"violation": "VP", "anpr": "NB", "security": "AN"}[kind]
        prefix = f"{site.province.key}-{code}"
        cam = DemoCamera(
            camera_id=f"{prefix}-{self._next(prefix):03d}", name=name, kind=kind, site=site,
            lon=lon, lat=lat, heading_deg=heading % 360.0, contractor=contractor, installed_on=installed_on,
            quality=site.quality,
        )
        self.cameras.append(cam)
        return cam

    def day(self, start: date, span_days: int) -> date:
        return start + timedelta(days=self.rng.randrange(span_days))

    def point_near(self, province: Province, lon: float, lat: float, radius_m: float) -> tuple[float, float]:
        """A random point within ``radius_m`` of (lon, lat) that lies inside the province."""
        for _ in range(200):
            r = radius_m * math.sqrt(self.rng.random())
            cand = _offset(lon, lat, self.rng.uniform(0, 360), r)
            if province.outline.contains(Point(cand)):
                return cand
        raise ValueError(f"no point inside {province.name} within {radius_m} m of {lon},{lat}")


def _intersection_cameras(b: _Builder, site: DemoSite, kind: str, contractor: str,
                          start: date, span: int, label: str) -> None:
    """Four cameras, one per approach, 40 m upstream and looking at the centre."""
    for direction, bearing in _APPROACHES:
        lon, lat = _offset(site.lon, site.lat, bearing, 40.0 if kind == "violation" else 25.0)
        b.camera(site, kind, f"{label} {site.name} – {direction}", lon, lat,
                 (bearing + 180.0) % 360.0, contractor, b.day(start, span))


def _point_cameras(b: _Builder, site: DemoSite, kind: str, count: int, contractor: str,
                   start: date, span: int) -> None:
    base = b.rng.uniform(0, 360)
    label = {"security": "Camera an ninh", "anpr": "Camera nhận dạng biển số"}[kind]
    for i in range(count):
        heading = (base + i * 360.0 / count) % 360.0
        lon, lat = _offset(site.lon, site.lat, heading + 180.0, 8.0 + 4.0 * i)
        b.camera(site, kind, f"{label} {site.name} – số {i + 1}", lon, lat, round(heading, 1),
                 contractor, b.day(start, span))


def _road_bearing(road: BaseGeometry, lon: float, lat: float) -> float:
    """Bearing of the nearest road line at (lon, lat)."""
    d = road.project(Point(lon, lat))
    p1, p2 = road.interpolate(max(d - 0.002, 0.0)), road.interpolate(d + 0.002)
    return _bearing(p1.x, p1.y, p2.x, p2.y)


def _gateway_cameras(b: _Builder, site: DemoSite, along: float, counts: dict[str, int],
                     contractors: dict[str, str], start: date, span: int) -> None:
    """Cameras along the road at a gateway (road bearing ``along``), looking both ways."""
    labels = {"violation": "Camera phạt nguội tốc độ", "anpr": "Camera nhận dạng biển số",
              "security": "Camera an ninh"}
    for kind, count in counts.items():
        for i in range(count):
            facing = along if i % 2 == 0 else along + 180.0
            direction = "chiều vào" if i % 2 == 0 else "chiều ra"
            lon, lat = _offset(site.lon, site.lat, facing + 180.0, 30.0 + 15.0 * (i // 2))
            b.camera(site, kind, f"{labels[kind]} {site.name} – {direction} {i // 2 + 1}", lon, lat,
                     round(facing % 360.0, 1), contractors[kind], b.day(start, span))


def _kien_giang(b: _Builder, kg: Province, seeds: list[dict[str, str]], geo_dir: Path) -> None:
    violation_contractor = "VNPT Kiên Giang"
    for name, lon, lat in _KG_INTERSECTIONS:
        site = b.site(kg, "intersection", name, lon, lat)
        _intersection_cameras(b, site, "violation", violation_contractor, date(2024, 11, 20), 25,
                              "Camera phạt nguội")
    roads = _road_lines(geo_dir, ("Quốc lộ 80", "Quốc lộ 61", "Quốc lộ 63"))
    for seed in seeds:
        if seed["province"] != "Kiên Giang" or seed["kind"] not in ("city_gateway", "province_gateway"):
            continue
        site = b.site(kg, "gateway", seed["name"], float(seed["lon"]), float(seed["lat"]),
                      note="seed_sites.csv (derived, ± a few hundred metres)")
        _gateway_cameras(b, site, _road_bearing(roads, site.lon, site.lat), {"anpr": 4}, {"anpr": "VNPT Kiên Giang"}, date(2024, 6, 1), 180)
    # Security key points: (area, centre lon, lat, radius m, number of points, streets).
    areas = (
        ("Rạch Giá", 105.0860, 10.0120, 2200.0, 30, _STREETS_RACH_GIA),
        ("Hà Tiên", 104.4880, 10.3835, 1500.0, 10, _STREETS_HA_TIEN),
        ("Phú Quốc", 103.9660, 10.2150, 2500.0, 16, _STREETS_PHU_QUOC),
    )
    points: list[DemoSite] = []
    centre = next(s for s in seeds if s["kind"] == "city_centre" and s["province"] == "Kiên Giang")
    points.append(b.site(kg, "key_point", "Trung tâm TP Rạch Giá", float(centre["lon"]), float(centre["lat"]),
                         quality="surveyed", note="seed_sites.csv city centre (high confidence)"))
    for area, lon, lat, radius, n, streets in areas:
        for i in range(n - (1 if area == "Rạch Giá" else 0)):
            plon, plat = b.point_near(kg, lon, lat, radius)
            points.append(b.site(kg, "key_point", f"Đường {streets[i % len(streets)]}, {area} – điểm {i + 1:02d}",
                                 plon, plat))
    for road_name, short, n in (("Quốc lộ 80", "QL80", 5), ("Quốc lộ 63", "QL63", 3), ("Quốc lộ 61", "QL61", 2)):
        line = _road_lines(geo_dir, (road_name,)).intersection(kg.outline)
        for i in range(n):
            p = line.interpolate(line.length * (i + 0.5) / n)
            points.append(b.site(kg, "key_point", f"{short} – điểm giám sát an ninh {i + 1:02d}", p.x, p.y))
    security_total = 353 - 36 - 28
    per_point = [security_total // len(points)] * len(points)
    for i in range(security_total - sum(per_point)):
        per_point[i] += 1
    for site, count in zip(points, per_point, strict=True):
        _point_cameras(b, site, "security", count, "Viettel Kiên Giang", date(2023, 3, 1), 600)


def _thai_binh(b: _Builder, tb: Province, seeds: list[dict[str, str]], geo_dir: Path) -> None:
    roads = _road_lines(geo_dir, ("Quốc lộ 10", "Quốc lộ 1A", "Không biết"))
    by_prefix = {s["name"].split(" (")[0]: s for s in seeds if s["province"] == "Thái Bình"}
    for name, lon, lat, seed_key, bearing in _TB_BRIDGES:
        if seed_key:
            seed = by_prefix[seed_key]
            site = b.site(tb, "gateway_bridge", name, float(seed["lon"]), float(seed["lat"]),
                          note="seed_sites.csv (derived, ± a few hundred metres)")
            along = _road_bearing(roads, site.lon, site.lat)
        else:
            site = b.site(tb, "gateway_bridge", name, lon, lat)
            along = bearing
        _gateway_cameras(
            b, site, along,
            {"violation": 2, "anpr": 4, "security": 2},
            {"violation": "Viettel Thái Bình", "anpr": "VNPT Thái Bình", "security": "VNPT Thái Bình"},
            date(2021, 2, 1), 40,
        )
    for name, lon, lat in _TB_INTERSECTIONS:
        site = b.site(tb, "intersection", name, lon, lat)
        _intersection_cameras(b, site, "violation", "Viettel Thái Bình", date(2021, 2, 1), 40, "Camera phạt nguội")
        _intersection_cameras(b, site, "security", "VNPT Thái Bình", date(2020, 9, 1), 300, "Camera an ninh")
    key_points: list[tuple[DemoSite, str, int]] = []
    centre = by_prefix["Trung tâm TP Thái Bình"]
    key_points.append((b.site(tb, "key_point", "Trung tâm TP Thái Bình", float(centre["lon"]), float(centre["lat"]),
                              quality="surveyed", note="seed_sites.csv city centre (high confidence)"), "security", 3))
    for seed in seeds:
        if seed["province"] == "Thái Bình" and seed["kind"] == "city_gateway":
            site = b.site(tb, "city_gateway", seed["name"], float(seed["lon"]), float(seed["lat"]),
                          note="seed_sites.csv (derived, ± a few hundred metres)")
            key_points.append((site, "anpr", 3))
    for i in range(18 - len(key_points)):
        lon, lat = b.point_near(tb, float(centre["lon"]), float(centre["lat"]), 2500.0)
        street = _STREETS_THAI_BINH[i % len(_STREETS_THAI_BINH)]
        key_points.append((b.site(tb, "key_point", f"Đường {street}, TP Thái Bình – điểm {i + 1:02d}", lon, lat),
                           "security", 0))
    placed = sum(1 for c in b.cameras if c.site.province is tb)
    remaining = 128 - placed - sum(n for _, _, n in key_points)
    free = [i for i, (_, _, n) in enumerate(key_points) if n == 0]
    for j, idx in enumerate(free):
        site, kind, _ = key_points[idx]
        key_points[idx] = (site, kind, remaining // len(free) + (1 if j < remaining % len(free) else 0))
    for site, kind, count in key_points:
        _point_cameras(b, site, kind, count, "VNPT Thái Bình", date(2020, 9, 1), 500)


def build_demo_registry(geo_dir: Path, seed: int = 2024) -> DemoRegistry:
    """Build the demo registry from the reference geodata in ``geo_dir``."""
    provinces = _load_provinces(geo_dir)
    seeds = _load_seeds(geo_dir)
    b = _Builder(random.Random(seed))
    _kien_giang(b, provinces["KG"], seeds, geo_dir)
    _thai_binh(b, provinces["TB"], seeds, geo_dir)
    return DemoRegistry(sites=tuple(b.sites), cameras=tuple(b.cameras))


_AREAS = (
    # (province key, area id, Vietnamese name, words in the site name that place a site there)
    ("KG", "KG-RG", "TP Rạch Giá", ("Rạch Giá",)),
    ("KG", "KG-HT", "TP Hà Tiên", ("Hà Tiên",)),
    ("KG", "KG-PQ", "TP Phú Quốc", ("Phú Quốc", "Dương Đông")),
    ("KG", "KG-QL", "Quốc lộ và cửa ngõ Kiên Giang", ()),
    ("TB", "TB-CN", "Cửa ngõ cầu Thái Bình", ()),
    ("TB", "TB-TP", "TP Thái Bình", ()),
)


def area_of(site: DemoSite) -> str:
    """The demo area (police area of responsibility) a site belongs to."""
    if site.province.key == "TB":
        return "TB-CN" if site.kind == "gateway_bridge" else "TB-TP"
    for key, area_id, _, words in _AREAS:
        if key == "KG" and any(w in site.name for w in words):
            return area_id
    return "KG-QL"


def write_demo_scopes(registry: DemoRegistry, out_dir: Path) -> list[Path]:
    """Write the demo areas, the site→area map and one camera group per area (its
    violation cameras): ``areas.csv``, ``site_areas.csv``, ``camera_groups.csv``,
    ``camera_group_members.csv``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    codes = {s.province.key: s.province.code_2025 for s in registry.sites}
    paths = [out_dir / n for n in ("areas.csv", "site_areas.csv", "camera_groups.csv", "camera_group_members.csv")]
    tables: list[list[list[str]]] = [
        [["area_id", "name", "province_code"]] + [[a, n, codes[k]] for k, a, n, _ in _AREAS],
        [["site_id", "area_id"]] + [[s.site_id, area_of(s)] for s in registry.sites],
        [["group_id", "name", "area_id"]] + [[f"{a}-VP", f"Camera phạt nguội – {n}", a] for _, a, n, _ in _AREAS],
        [["group_id", "camera_id"]] + [[f"{area_of(c.site)}-VP", c.camera_id] for c in registry.cameras
                                       if c.kind == "violation"],
    ]
    for path, rows in zip(paths, tables, strict=True):
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    return paths


def write_demo_registry(registry: DemoRegistry, out_dir: Path) -> tuple[Path, Path]:
    """Write ``sites.csv`` and ``cameras.csv`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sites_path, cameras_path = out_dir / "sites.csv", out_dir / "cameras.csv"
    with sites_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(SITE_COLUMNS)
        for s in registry.sites:
            w.writerow([s.site_id, s.name, s.kind, s.province.code, s.province.code_2025,
                        f"{s.lon:.6f}", f"{s.lat:.6f}", s.quality, s.note])
    with cameras_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CAMERA_COLUMNS)
        for c in registry.cameras:
            w.writerow([c.camera_id, c.name, c.kind, c.site.site_id, f"{c.lon:.6f}", f"{c.lat:.6f}",
                        f"{c.heading_deg:.1f}", c.site.province.code, c.site.province.code_2025,
                        f"{VIRTUAL_CAMERA_BASE}/{c.camera_id}/stream.mjpeg",
                        f"{VIRTUAL_CAMERA_BASE}/{c.camera_id}/snapshot.jpg",
                        c.contractor, c.installed_on.isoformat(), c.quality])
    return sites_path, cameras_path
