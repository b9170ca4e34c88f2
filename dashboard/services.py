"""What the dashboard needs from the rest of the app, handed over by ``app.py``.

Pages receive one ``DashboardServices`` when they register their callbacks; nothing in
``dashboard/`` reaches for a global to find the warehouse or the geodata.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analytics.warehouse import Warehouse
from dashboard.auth.accounts import AccountService
from layers.geodata import BoundaryEdition, GeoData
from layers.map_figure import Tiles


@dataclass(frozen=True, kw_only=True, slots=True)
class DashboardServices:
    warehouse: Warehouse
    accounts: AccountService
    secret_key: bytes
    cookie_secure: bool
    evidence_root: Path
    geodata: GeoData
    tiles: Tiles | None
    default_edition: BoundaryEdition
    timezone: str
    refresh_seconds: int = 30
