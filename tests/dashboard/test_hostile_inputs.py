"""Hostile input: no session, forged requests, traversal and symlinks, SQL injection,
stored XSS, brute force, open redirects, stale sessions, audit tampering. Every attempt
must fail safely and leave an audit entry where the issue asks for one."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dash import Dash

from analytics import audit
from analytics.records import DataSource
from analytics.warehouse import Warehouse
from bootstrap import import_registry
from dashboard.app_factory import create_app
from dashboard.auth.accounts import AccountService, SecurityPolicy
from dashboard.services import DashboardServices
from layers.geodata import GeoData
from tests.analytics import builders
from tests.conftest import REGISTRY_DIR
from tests.dashboard.dash_http import PASSWORD, call_callback, csrf_of, login
from tests.dashboard.test_security_matrix import CHECKS, KG_VIOLATION, make_evidence

PANEL = [("map-camera-panel", "children")]


def audit_actions(warehouse: Warehouse) -> list[tuple[str, str, str]]:
    with warehouse.reader() as cur:
        return cur.execute("SELECT actor, action, target FROM audit_log ORDER BY seq").fetchall()


# --- no session ----------------------------------------------------------------------

@pytest.mark.parametrize("method,url", [
    ("GET", "/map"), ("GET", "/admin/audit"), ("GET", "/_dash-layout"), ("GET", "/_dash-dependencies"),
    ("POST", "/_dash-update-component"), ("GET", f"/evidence/{KG_VIOLATION}/keyframe.jpg"),
    ("GET", "/export/audit.csv"), ("GET", "/account/password"),
])
def test_nothing_without_a_session(dash_app: Dash, method: str, url: str) -> None:
    client = dash_app.server.test_client()
    client.get("/login")  # an anonymous session with a CSRF token, as a browser would have
    response = client.open(url, method=method, headers={"X-CSRFToken": csrf_of(client)}, json={})
    if url.startswith(("/_dash-", "/evidence/", "/export/")):
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- CSRF ------------------------------------------------------------------------------

def test_state_changes_need_the_csrf_token(dash_app: Dash, demo_warehouse: Warehouse) -> None:
    client = login(dash_app.server, "admin")
    inputs = [("map-graph", "clickData", {"points": [{"customdata": ["KG-VP-001"]}]})]
    assert call_callback(client, PANEL, inputs, [("map-lang", "data", "vi")], csrf="")[0] == 403
    assert call_callback(client, PANEL, inputs, [("map-lang", "data", "vi")], csrf="forged")[0] == 403
    assert call_callback(client, PANEL, inputs, [("map-lang", "data", "vi")])[0] == 200
    assert client.post("/logout").status_code == 403  # a cross-site form cannot sign the user out
    assert client.post("/account/password", data={"current": PASSWORD, "new": "Moi-2025-abc",
                                                   "confirm": "Moi-2025-abc"}).status_code == 403
    anonymous = dash_app.server.test_client()
    assert anonymous.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 403
    assert sum(1 for a in audit_actions(demo_warehouse) if a[1] == "csrf_rejected") == 5


def test_session_cookie_flags(dash_app: Dash) -> None:
    client = dash_app.server.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                           "csrf_token": csrf_of(client)})
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("matthan_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    csrf_cookie = next(c for c in cookies if c.startswith("_csrf_token="))
    assert "SameSite=Strict" in csrf_cookie
    assert response.headers["X-Frame-Options"] == "DENY"


# --- evidence paths ------------------------------------------------------------------------

@pytest.fixture
def evidence(dash_app: Dash, demo_warehouse: Warehouse) -> Path:
    return make_evidence(demo_warehouse, demo_warehouse.path.parent / "evidence", KG_VIOLATION, "KG-VP-001")


def test_traversal_and_symlinks_are_refused(dash_app: Dash, demo_warehouse: Warehouse, evidence: Path,
                                           tmp_path: Path) -> None:
    client = login(dash_app.server, "enforcement_officer")
    base = f"/evidence/{KG_VIOLATION}"
    assert client.get(f"{base}/keyframe.jpg").status_code == 200
    for name in ("..%2fmanifest.json", "%2e%2e", "manifest.json", "..", "not-listed.jpg", "keyframe.jpg%00.png"):
        assert client.get(f"{base}/{name}").status_code == 404, name
    assert client.get("/evidence/..%2f..%2fetc/passwd").status_code == 404

    # a violation row pointing outside the evidence root
    secret = tmp_path / "outside"
    secret.mkdir()
    demo_warehouse.upsert([builders.violation(violation_id="V-ESCAPE", camera_id="KG-VP-001",
                                              evidence_path="../../outside", source=DataSource.DEMO)])
    assert client.get("/evidence/V-ESCAPE/keyframe.jpg").status_code == 403

    # a listed file replaced by a symlink to a file elsewhere
    target = tmp_path / "passwd"
    target.write_bytes((evidence / "plate.jpg").read_bytes())
    (evidence / "plate.jpg").unlink()
    os.symlink(target, evidence / "plate.jpg")
    assert client.get(f"{base}/plate.jpg").status_code == 403
    assert ("enforcement_officer", "evidence_path_rejected", f"{KG_VIOLATION}/plate.jpg") in audit_actions(
        demo_warehouse)


def test_tampered_evidence_is_detected_on_view(dash_app: Dash, demo_warehouse: Warehouse, evidence: Path) -> None:
    client = login(dash_app.server, "enforcement_officer")
    with (evidence / "keyframe.jpg").open("ab") as fh:
        fh.write(b"edited")
    assert client.get(f"/evidence/{KG_VIOLATION}/keyframe.jpg").status_code == 409
    assert ("enforcement_officer", "evidence_tampered", f"{KG_VIOLATION}/keyframe.jpg") in audit_actions(
        demo_warehouse)
    (evidence / "manifest.json").write_text("{not json", encoding="utf-8")
    assert client.get(f"/evidence/{KG_VIOLATION}/plate.jpg").status_code == 409


# --- injection -------------------------------------------------------------------------------

@pytest.mark.parametrize("hostile", ["KG-VP-001' OR '1'='1", "'; DROP TABLE cameras; --", "%' OR 1=1 --"])
def test_sql_injection_through_every_filter(dash_app: Dash, demo_warehouse: Warehouse, hostile: str) -> None:
    admin = login(dash_app.server, "admin")
    status, out = call_callback(admin, PANEL, [("map-graph", "clickData", {"points": [{"customdata": [hostile]}]})],
                                [("map-lang", "data", "vi")])
    assert status == 200 and f"Không tìm thấy camera {hostile}" in json.dumps(out, ensure_ascii=False)
    status, out = call_callback(admin, [("map-graph", "figure"), ("map-summary", "children"),
                                        ("map-demo-badge", "hidden")],
                                [("map-edition", "value", "2025"), ("map-province", "value", hostile),
                                 ("map-kinds", "value", [hostile]), ("map-color-by", "value", "kind"),
                                 ("map-refresh", "n_intervals", None)], [("map-lang", "data", "vi")])
    assert status == 200 and out["map-summary"]["children"] == "Đang hiển thị 0 camera"
    status, out = call_callback(admin, [("audit-table", "rowData"), ("audit-verify", "children")],
                                [("audit-filter", "value", hostile)], [("audit-lang", "data", "vi")])
    assert status == 200
    assert all(hostile.lower() in json.dumps(r, ensure_ascii=False).lower() for r in out["audit-table"]["rowData"])
    status, out = call_callback(admin, [("runs-table", "rowData"), ("runs-summary", "children")],
                                [("runs-status", "value", hostile)], [("runs-lang", "data", "vi")])
    assert status == 200
    supervisor = login(dash_app.server, "supervisor")
    status, out = call_callback(supervisor, [("review-table", "rowData"), ("review-summary", "children")],
                                [("review-state", "value", hostile), ("review-type", "value", hostile),
                                 ("review-changed", "data", 0)], [("review-lang", "data", "vi")])
    assert status == 200 and out["review-table"]["rowData"] == []
    status, _ = call_callback(supervisor, [("review-detail", "children"), ("review-selected", "data"),
                                           ("review-controls", "hidden"), ("review-plate", "value")],
                              [("review-table", "selectedRows", [{"violation_id": hostile}]),
                               ("review-changed", "data", 0)],
                              [("review-selected", "data", None), ("review-lang", "data", "vi")])
    assert status == 404
    with demo_warehouse.reader() as cur:
        assert cur.execute("SELECT count(*) FROM cameras").fetchone() == (481,)


def test_stored_xss_in_camera_names_is_inert(dash_app: Dash, demo_warehouse: Warehouse, geodata: GeoData,
                                            tmp_path: Path) -> None:
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    with (REGISTRY_DIR / "cameras.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))[:1]
    rows[0]["name"] = payload
    path = tmp_path / "xss.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    import_registry(demo_warehouse, geodata, sites_file=None, cameras_file=path)
    admin = login(dash_app.server, "admin")
    _, out = call_callback(admin, [("map-graph", "figure"), ("map-summary", "children"), ("map-demo-badge", "hidden")],
                           [("map-edition", "value", "2025"), ("map-province", "value", "all"),
                            ("map-kinds", "value", ["violation"]), ("map-color-by", "value", "kind"),
                            ("map-refresh", "n_intervals", None)], [("map-lang", "data", "vi")])
    hover = [cd for tr in out["map-graph"]["figure"]["data"] if tr.get("meta") == "camera"
             for cd in tr["customdata"] if cd[0] == rows[0]["camera_id"]][0]
    assert "<img" not in hover[1] and "&lt;img" in hover[1] and "&lt;script&gt;" in hover[1]
    _, out = call_callback(admin, PANEL, [("map-graph", "clickData", {"points": [{"customdata": [rows[0]["camera_id"]]}]})],
                           [("map-lang", "data", "vi")])
    heading = out["map-camera-panel"]["children"]["props"]["children"][0]
    assert heading["type"] == "H3" and heading["props"]["children"] == payload  # a text node, never markup


# --- brute force, redirects, sessions -------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clocked(demo_warehouse: Warehouse, geodata: GeoData, accounts: AccountService) -> tuple[Dash, Clock]:
    clock = Clock()
    service = AccountService(demo_warehouse, SecurityPolicy(max_failed_logins=5, lockout_minutes=15, idle_minutes=30,
                                                            argon2_time_cost=1, argon2_memory_kib=8192), clock=clock)
    app = create_app(DashboardServices(
        warehouse=demo_warehouse, accounts=service, secret_key=b"c" * 64, cookie_secure=False,
        evidence_root=demo_warehouse.path.parent / "evidence", geodata=geodata, tiles=None,
        default_edition="2025", timezone="Asia/Ho_Chi_Minh"))
    return app, clock


def _attempt(app: Dash, username: str, password: str) -> int:
    client = app.server.test_client()
    client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_of(client)}).status_code


def test_brute_force_locks_the_account(clocked: tuple[Dash, Clock], demo_warehouse: Warehouse) -> None:
    app, clock = clocked
    for _ in range(5):
        assert _attempt(app, "commander", "wrong-password-1") == 401
    assert _attempt(app, "commander", PASSWORD) == 401  # locked: even the right password is refused
    client = app.server.test_client()
    client.get("/login")
    page = client.post("/login", data={"username": "commander", "password": PASSWORD,
                                       "csrf_token": csrf_of(client)}).get_data(as_text=True)
    assert "tạm khóa" in page
    assert _attempt(app, "no-such-user", "x") == 401  # same answer for unknown users
    actions = [a[1] for a in audit_actions(demo_warehouse) if a[0] == "commander"]
    assert actions.count("login_failed") == 5 and actions.count("login_locked") == 2
    clock.now += timedelta(minutes=16)
    assert _attempt(app, "commander", PASSWORD) == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_no_open_redirect_after_login(dash_app: Dash, target: str) -> None:
    client = dash_app.server.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": PASSWORD, "next": target,
                                           "csrf_token": csrf_of(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/map"


def test_idle_timeout_logout_and_password_change(clocked: tuple[Dash, Clock], demo_warehouse: Warehouse) -> None:
    app, clock = clocked
    first = login(app.server, "planner")
    assert first.get("/map").status_code == 200
    clock.now += timedelta(minutes=31)
    expired = first.get("/map")
    assert expired.status_code == 302 and "expired=1" in expired.headers["Location"]
    assert ("planner", "session_expired", "planner") in audit_actions(demo_warehouse)

    a, b = login(app.server, "planner"), login(app.server, "planner")
    assert a.post("/logout", data={"csrf_token": csrf_of(a)}).status_code == 302
    assert a.get("/map").status_code == 302  # the old cookie is dead after sign-out
    assert b.get("/map").status_code == 200
    c = login(app.server, "planner")
    changed = b.post("/account/password", data={"current": PASSWORD, "new": "Mat-khau-moi-2026",
                                                "confirm": "Mat-khau-moi-2026", "csrf_token": csrf_of(b)})
    assert changed.status_code == 200 and "Đã đổi mật khẩu" in changed.get_data(as_text=True)
    assert b.get("/map").status_code == 200 and c.get("/map").status_code == 302  # other sessions ended
    wrong = b.post("/account/password", data={"current": "nope", "new": "Abcdefgh-12", "confirm": "Abcdefgh-12",
                                              "csrf_token": csrf_of(b)})
    assert wrong.status_code == 400


def test_disabled_user_is_signed_out(dash_app: Dash, accounts: AccountService) -> None:
    client = login(dash_app.server, "duty_officer")
    accounts.set_active("duty_officer", False, actor="admin")
    assert client.get("/map").status_code == 302
    with pytest.raises(AssertionError):
        login(dash_app.server, "duty_officer")


# --- audit chain ---------------------------------------------------------------------------------

def test_audit_chain_detects_edits_and_deletions(dash_app: Dash, demo_warehouse: Warehouse) -> None:
    login(dash_app.server, "admin")
    login(dash_app.server, "leader")
    with demo_warehouse.reader() as cur:
        first = audit.verify(cur)
    assert first.ok and first.entries >= len(audit_actions(demo_warehouse)) > 5
    with demo_warehouse.writer() as cur:
        cur.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3")
    with demo_warehouse.reader() as cur:
        edited = audit.verify(cur)
    assert not edited.ok and edited.first_bad_seq == 3 and "does not match" in edited.reason
    with demo_warehouse.writer() as cur:
        cur.execute("DELETE FROM audit_log WHERE seq >= 3 AND seq <= 3")
    with demo_warehouse.reader() as cur:
        deleted = audit.verify(cur)
    assert not deleted.ok and deleted.first_bad_seq == 4 and "gap" in deleted.reason


def test_matrix_checks_use_real_callbacks() -> None:
    assert {c.name for c in CHECKS} >= {"page /map", "callback map figure", "route evidence view"}


def test_fresh_install_login_page_says_how_to_create_the_admin(warehouse: Warehouse, geodata: GeoData) -> None:
    service = AccountService(warehouse, SecurityPolicy(argon2_time_cost=1, argon2_memory_kib=8192))
    app = create_app(DashboardServices(
        warehouse=warehouse, accounts=service, secret_key=b"f" * 64, cookie_secure=False,
        evidence_root=warehouse.path.parent / "evidence", geodata=geodata, tiles=None,
        default_edition="2025", timezone="Asia/Ho_Chi_Minh"))
    page = app.server.test_client().get("/login").get_data(as_text=True)
    assert "make admin" in page and "Chưa có tài khoản" in page


def _users_call(client, action: str, username: str, full_name: str = "", role: str = "planner",  # type: ignore[no-untyped-def]
                scopes: list[str] | None = None, password: str = "") -> tuple[int, dict]:
    buttons = ("users-create", "users-update", "users-lock", "users-unlock", "users-reset")
    return call_callback(
        client, [("users-table", "rowData"), ("users-message", "children")],
        [(b, "n_clicks", 1 if b == action else None) for b in buttons],
        [("users-username", "value", username), ("users-full-name", "value", full_name), ("users-role", "value", role),
         ("users-scopes", "value", scopes or []), ("users-password", "value", password),
         ("users-lang", "data", "vi")], changed=[f"{action}.n_clicks"])


def test_admin_manages_users_from_the_dashboard(dash_app: Dash, demo_warehouse: Warehouse) -> None:
    admin = login(dash_app.server, "admin")
    payload = '<img src=x onerror="alert(1)">'
    status, out = _users_call(admin, "users-create", "canbo9", payload, "enforcement_officer", ["area:KG-RG"],
                              "Canbo-2026-x")
    assert status == 200 and out["users-message"]["children"] == "Đã tạo tài khoản canbo9."
    row = next(r for r in out["users-table"]["rowData"] if r["username"] == "canbo9")
    assert row["full_name"] == payload and row["scopes"] == "area:KG-RG"  # plain text for the grid
    assert login(dash_app.server, "canbo9", "Canbo-2026-x").get("/map").status_code == 200
    _, out = _users_call(admin, "users-update", "canbo9", role="supervisor", scopes=["province:33"])
    assert "Đã cập nhật" in out["users-message"]["children"]
    _, out = _users_call(admin, "users-lock", "admin")
    assert out["users-message"]["children"] == "Không thể tự khóa tài khoản của mình."
    _, out = _users_call(admin, "users-create", "x", password="short")
    assert "Tên đăng nhập" in out["users-message"]["children"]
    actions = [(a, b, c) for a, b, c in audit_actions(demo_warehouse) if c == "canbo9"]
    assert ("admin", "user_created", "canbo9") in actions and ("admin", "user_permissions_changed", "canbo9") in actions
    planner = login(dash_app.server, "planner")
    status, _ = _users_call(planner, "users-create", "evil", "Evil", "admin", ["all:*"], "Evil-2026-xx")
    assert status == 403
    with demo_warehouse.reader() as cur:
        assert cur.execute("SELECT count(*) FROM users WHERE username = 'evil'").fetchone() == (0,)
