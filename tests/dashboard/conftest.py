from __future__ import annotations

import pytest
from dash import Dash

from analytics.accounts import ScopeEntry
from analytics.warehouse import Warehouse
from dashboard.app_factory import create_app
from dashboard.auth.accounts import AccountService, SecurityPolicy
from dashboard.auth.permissions import Role
from dashboard.services import DashboardServices
from layers.geodata import GeoData
from tests.dashboard.dash_http import PASSWORD

# One account per role, scoped to Kiên Giang (2025 code 91), plus scoped variants.
USERS: dict[str, tuple[Role, list[ScopeEntry]]] = {
    **{role.value: (role, [ScopeEntry(kind="province", scope_id="91")]) for role in Role if role is not Role.ADMIN},
    "admin": (Role.ADMIN, [ScopeEntry(kind="all", scope_id="*")]),
    "commander_all": (Role.COMMANDER, [ScopeEntry(kind="all", scope_id="*")]),
    "officer_tb_city": (Role.ENFORCEMENT_OFFICER, [ScopeEntry(kind="area", scope_id="TB-TP")]),
    "officer_bridges": (Role.ENFORCEMENT_OFFICER, [ScopeEntry(kind="group", scope_id="TB-CN-VP")]),
}


@pytest.fixture
def accounts(demo_warehouse: Warehouse) -> AccountService:
    service = AccountService(demo_warehouse, SecurityPolicy(max_failed_logins=5, lockout_minutes=15,
                                                                 argon2_time_cost=1, argon2_memory_kib=8192))
    for username, (role, scopes) in USERS.items():
        service.create_user(username=username, full_name=f"Người dùng {username}", role=role,
                            password=PASSWORD, scopes=scopes, actor="test")
    return service


@pytest.fixture
def dash_app(demo_warehouse: Warehouse, geodata: GeoData, accounts: AccountService) -> Dash:
    return create_app(DashboardServices(
        warehouse=demo_warehouse, accounts=accounts, secret_key=b"k" * 64, cookie_secure=False,
        evidence_root=demo_warehouse.path.parent / "evidence",
        geodata=geodata, tiles=None, default_edition="2025", timezone="Asia/Ho_Chi_Minh",
    ))
