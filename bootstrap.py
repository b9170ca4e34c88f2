"""Wiring shared by the composition roots (``app.py`` and ``cli.py``): open the warehouse,
load the geodata, import registry files, prepare the embedded demo.

Contract: functions here take settings or the objects built from them explicitly;
nothing is opened at import time.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from analytics import queries
from analytics.records import DataSource
from analytics.warehouse import Warehouse
from layers.geodata import GeoData
from dashboard.auth.accounts import AccountService, SecurityPolicy
from layers.registry_io import read_cameras, read_scopes, read_sites
from settings import Settings

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
    with warehouse.reader() as cur:
        return queries.table_counts(cur).get("cameras", 0) == 0


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
