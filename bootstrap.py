"""Wiring shared by the composition roots (``app.py`` and ``cli.py``): open the warehouse,
load the geodata, import registry files, prepare the embedded demo.

Contract: functions here take settings or the objects built from them explicitly;
nothing is opened at import time.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, date, datetime
import secrets
from dataclasses import dataclass
from pathlib import Path

from analytics import queries
from analytics.records import CameraCheck, CountBin, DataSource, Outage, Violation
from analytics.warehouse import Warehouse
from layers.geodata import GeoData
from dashboard.auth.accounts import AccountService, SecurityPolicy
from layers.registry_io import read_cameras, read_scopes, read_sites
from settings import Settings
from simulator.demo_history import HistoryCamera, build_history, history_window
from simulator.evidence_pool import build_pool
from simulator.world import load_sim_scene

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportResult:
    sites: int
    cameras: int


def open_warehouse(settings: Settings) -> Warehouse:
    return Warehouse.open(settings.storage.warehouse_path)


def load_geodata(settings: Settings) -> GeoData:
    return GeoData(settings.data.geo_dir)


def import_registry(
    warehouse: Warehouse,
    geodata: GeoData,
    *,
    sites_file: Path | None,
    cameras_file: Path | None,
    source: DataSource = DataSource.REGISTRY,
) -> ImportResult:
    """Validate both files completely, then upsert them in one transaction.

    Raises ``RegistryFileError`` (nothing written) when any row of either file is bad.
    """
    sites = read_sites(sites_file, geodata, source=source) if sites_file else []
    with warehouse.reader() as cur:
        known = queries.site_ids(cur) | {s.site_id for s in sites}
    cameras = read_cameras(cameras_file, geodata, known, source=source) if cameras_file else []
    warehouse.upsert(sites, cameras)
    return ImportResult(sites=len(sites), cameras=len(cameras))


@dataclass(frozen=True, kw_only=True, slots=True)
class HistoryResult:
    days: int
    count_bins: int
    violations: int
    camera_checks: int
    outages: int
    skipped: bool


def scene_for_site(site_kind: str, camera_id: str) -> str:
    """The simulator scene that looks like a demo camera's site (its evidence pool and its
    live demo recording)."""
    if site_kind == "gateway_bridge":
        return "cau_tan_de"
    if site_kind == "intersection":
        return "nga_ba_thai_binh" if camera_id.startswith("TB-") else "nga_tu_rach_gia"
    return "pho_tran_phu"


def prepare_history(warehouse: Warehouse, *, days: int, seed: int = 2024, end: date | None = None,
                    evidence_root: Path | None = None, scenes_dir: Path | None = None) -> HistoryResult:
    """Write the simulated history window ending ``end`` (default today) unless that window
    was already written: then nothing is added. A new window replaces the old demo rows.
    With ``evidence_root`` and ``scenes_dir``, demo violations point at a pool of rendered
    evidence (clip, keyframes, plate crop, manifest) of the scene that looks like their site."""
    with warehouse.reader() as cur:
        cams = cur.execute(
            "SELECT c.camera_id, c.kind, s.kind, c.province_code FROM cameras c JOIN sites s USING (site_id) "
            "WHERE c.source = 'demo' ORDER BY c.camera_id").fetchall()
    cameras = [HistoryCamera(camera_id=c, kind=k, site_kind=sk, plate_prefix="17" if p == "34" else "68")
               for c, k, sk, p in cams]
    start, stop = history_window(days, end)
    with warehouse.reader() as cur:
        done = cur.execute("SELECT count(*) FROM demo_history WHERE window_start = ? AND window_end = ? AND seed = ?",
                           [start, stop, seed]).fetchone()
        previous = cur.execute("SELECT count(*) FROM demo_history").fetchone()
    if done and done[0]:
        return HistoryResult(days=days, count_bins=0, violations=0, camera_checks=0, outages=0, skipped=True)
    history = build_history(cameras, days=days, end=end, seed=seed)
    if evidence_root is not None and scenes_dir is not None and not history.violations.empty:
        pool = build_pool([load_sim_scene(p) for p in sorted(scenes_dir.glob("*.yaml"))], evidence_root)
        site_kind = {c.camera_id: c.site_kind for c in cameras}
        history.violations["evidence_path"] = [
            pool.get(scene_for_site(site_kind[cid], cid)) for cid in history.violations["camera_id"]]
    if previous and previous[0]:
        log.info("replacing the previous demo history window (slower: deletes millions of rows)")
    # Each table in its own transaction; the window is marked done only after all four, so
    # a run killed half-way is simply redone by the next one (its partial rows replaced).
    for record_type, frame in ((CountBin, history.count_bins), (Violation, history.violations),
                               (CameraCheck, history.camera_checks), (Outage, history.outages)):
        warehouse.replace_demo(record_type, frame)
    with warehouse.writer() as cur:
        cur.execute("DELETE FROM demo_history")
        cur.execute("INSERT INTO demo_history VALUES (?, ?, ?, ?)",
                    [history.start_utc, history.end_utc, seed, datetime.now(UTC)])
    log.info("demo history: %d days, %d count bins, %d violations, %d checks, %d outages", days,
             len(history.count_bins), len(history.violations), len(history.camera_checks), len(history.outages))
    return HistoryResult(days=days, count_bins=len(history.count_bins), violations=len(history.violations),
                         camera_checks=len(history.camera_checks), outages=len(history.outages), skipped=False)


def prepare_demo(settings: Settings, warehouse: Warehouse, geodata: GeoData) -> ImportResult:
    """Load the shipped demo registry (marked ``source='demo'``). Idempotent: a second
    run rewrites the same rows and adds none."""
    registry = settings.data.registry_dir
    result = import_registry(
        warehouse, geodata,
        sites_file=registry / "sites.csv", cameras_file=registry / "cameras.csv",
        source=DataSource.DEMO,
    )
    with warehouse.reader() as cur:
        sites, cameras = queries.site_ids(cur), {c for c in queries.cameras_table(cur)["camera_id"]}
    scopes = read_scopes(registry, geodata, known_sites=sites, known_cameras=cameras)
    warehouse.upsert(scopes.areas, scopes.site_areas, scopes.groups, scopes.members)
    log.info("demo registry loaded: %d sites, %d cameras, %d areas, %d camera groups",
             result.sites, result.cameras, len(scopes.areas), len(scopes.groups))
    return result


def warehouse_is_empty(warehouse: Warehouse) -> bool:
    """True when no camera is registered (checked at start-up: one small query)."""
    with warehouse.reader() as cur:
        row = cur.execute("SELECT count(*) FROM cameras").fetchone()
    return not row or row[0] == 0


def load_secret_key(path: Path) -> bytes:
    """The cookie-signing key; created (random, mode 600) on first use."""
    if path.exists():
        key = path.read_bytes().strip()
        if len(key) < 32:
            raise ValueError(f"{path}: secret key is too short; delete the file to create a new one")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_hex(32).encode())
    return path.read_bytes().strip()


def build_accounts(settings: Settings, warehouse: Warehouse) -> AccountService:
    sec = settings.security
    return AccountService(warehouse, SecurityPolicy(
        idle_minutes=sec.session_idle_minutes, max_failed_logins=sec.max_failed_logins,
        lockout_minutes=sec.lockout_minutes, max_failed_per_ip=sec.max_failed_per_ip,
        password_min_length=sec.password_min_length,
    ))


def secret_key_path(settings: Settings) -> Path:
    return settings.security.secret_key_file or settings.storage.runtime_dir / "secret_key"
