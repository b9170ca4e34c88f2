"""Wiring shared by the composition roots (``app.py`` and ``cli.py``): open the warehouse,
load the geodata, import registry files, prepare the embedded demo.

Contract: functions here take settings or the objects built from them explicitly;
nothing is opened at import time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from analytics import queries
from analytics.records import DataSource
from analytics.warehouse import Warehouse
from layers.geodata import GeoData
from layers.registry_io import read_cameras, read_sites
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
    log.info("demo registry loaded: %d sites, %d cameras", result.sites, result.cameras)
    return result


def warehouse_is_empty(warehouse: Warehouse) -> bool:
    with warehouse.reader() as cur:
        return queries.table_counts(cur).get("cameras", 0) == 0
