from __future__ import annotations

import pytest
from dash import Dash

from analytics.warehouse import Warehouse
from dashboard.app_factory import create_app
from dashboard.services import DashboardServices
from layers.geodata import GeoData


@pytest.fixture
def dash_app(demo_warehouse: Warehouse, geodata: GeoData) -> Dash:
    return create_app(DashboardServices(
        warehouse=demo_warehouse, geodata=geodata, tiles=None, default_edition="2025",
        timezone="Asia/Ho_Chi_Minh",
    ))
