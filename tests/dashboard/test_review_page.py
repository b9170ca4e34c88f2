"""The review queue over real HTTP: scope on every callback, the officer → supervisor flow
with its history and audit chain, CSRF, stored-XSS through notes, the CSP header, and a
real browser showing hostile text as text."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from dash import Dash
from flask.testing import FlaskClient
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from analytics import audit
from analytics.records import ViolationType
from analytics.warehouse import Warehouse
from tests.analytics import builders
from tests.dashboard.dash_http import call_callback
from tests.dashboard.test_browser_map import browser_login, severe_console_errors
from tests.dashboard.test_security_matrix import KG_VIOLATION, REVIEW_BUTTONS, clients, review_action, secured  # noqa: F401

XSS_NOTE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> xe cứu thương'


def queue(client: FlaskClient, state: str = "detected") -> list[str]:
    status, out = call_callback(client, [("review-table", "rowData"), ("review-summary", "children")],
                                [("review-state", "value", state), ("review-type", "value", "all"),
                                 ("review-changed", "data", 0)], [("review-lang", "data", "vi")])
    assert status == 200
    return [r["violation_id"] for r in out["review-table"]["rowData"]]


def detail(client: FlaskClient, violation_id: str) -> tuple[int, str]:
    status, out = call_callback(
        client, [("review-detail", "children"), ("review-selected", "data"), ("review-controls", "hidden"),
                 ("review-plate", "value")],
        [("review-table", "selectedRows", [{"violation_id": violation_id}]), ("review-changed", "data", 0)],
        [("review-selected", "data", None), ("review-lang", "data", "vi")])
    return status, json.dumps(out, ensure_ascii=False)


def state_of(warehouse: Warehouse, violation_id: str) -> tuple[str, str | None]:
    with warehouse.reader() as cur:
        found = cur.execute("SELECT workflow_state, plate_confirmed FROM violations WHERE violation_id = ?",
                            [violation_id]).fetchone()
    return found[0], found[1]


def test_scope_holds_on_every_review_callback(secured: Dash, demo_warehouse: Warehouse,
                                              clients: Callable[[str], FlaskClient]) -> None:
    kg_officer = clients("enforcement_officer")
    assert KG_VIOLATION in queue(kg_officer) and "V-TB-1" not in queue(kg_officer)
    assert queue(clients("officer_tb_city")) == ["V-TB-1"]
    assert detail(kg_officer, "V-TB-1")[0] == 403
    status, _ = review_action("review-btn-verify", violation_id="V-TB-1")(kg_officer)
    assert status == 403
    assert state_of(demo_warehouse, "V-TB-1") == ("detected", None)
    with demo_warehouse.reader() as cur:
        denied = cur.execute("SELECT count(*) FROM audit_log WHERE actor = 'enforcement_officer' "
                             "AND action = 'scope_denied' AND target = 'TB-VP-011'").fetchone()[0]
    assert denied >= 2


def test_officer_verifies_supervisor_approves(secured: Dash, demo_warehouse: Warehouse,
                                              clients: Callable[[str], FlaskClient]) -> None:
    officer, supervisor = clients("enforcement_officer"), clients("supervisor")
    status, text = review_action("review-btn-plate", plate="68a 12345")(officer)
    assert status == 200 and "Sửa biển số" in text
    assert state_of(demo_warehouse, KG_VIOLATION) == ("detected", "68A-123.45")
    status, text = review_action("review-btn-approve", seen="detected")(officer)
    assert status == 403  # officers cannot approve at all
    status, text = review_action("review-btn-verify", plate="68A-123.45")(officer)
    assert status == 200 and "Đã xác minh" in text
    assert KG_VIOLATION in queue(supervisor, "verified")
    status, text = review_action("review-btn-approve", seen="verified")(supervisor)
    assert status == 200 and "Đã phê duyệt" in text
    assert state_of(demo_warehouse, KG_VIOLATION) == ("approved", "68A-123.45")
    status, text = review_action("review-btn-reject", seen="verified", reason="duplicate")(supervisor)
    assert status == 200 and "vừa được người khác xử lý" in text  # the page showed an older state
    status, shown = detail(officer, KG_VIOLATION)
    assert status == 200 and "Lịch sử xử lý" in shown and "68A-123.45" in shown
    assert "/evidence/V-KG-1/keyframe.jpg" in shown and "?download=1" in shown
    with demo_warehouse.reader() as cur:
        actions = [r[0] for r in cur.execute("SELECT action FROM audit_log WHERE target = ? AND action LIKE "
                                             "'violation_%' ORDER BY seq", [KG_VIOLATION]).fetchall()]
        assert audit.verify(cur).ok
    assert actions == ["violation_correct_plate", "violation_verify", "violation_approve", "violation_viewed"]


def test_the_officer_sees_what_the_rule_measured(secured: Dash, demo_warehouse: Warehouse,
                                                 clients: Callable[[str], FlaskClient]) -> None:
    """A stop judged in a zone on the approach to a signal: the officer reads the dwell, the
    limit and the waiting at red the rule left out — not only the violation's type."""
    finding = "dừng 14 s trong vùng cấm dừng no-stop-1 (tối đa 10 s) (không tính 30 s chờ đèn)"
    demo_warehouse.upsert([builders.violation(violation_id="V-KG-2", camera_id="KG-VP-001", finding=finding,
                                              violation_type=ViolationType.ILLEGAL_STOP,
                                              occurred_at=datetime(2025, 3, 1, 2, 0, tzinfo=UTC))])
    status, shown = detail(clients("enforcement_officer"), "V-KG-2")
    assert status == 200 and f"Kết quả đo: {finding}" in shown
    status, shown = detail(clients("enforcement_officer"), KG_VIOLATION)  # nothing measured: no line
    assert status == 200 and "Kết quả đo" not in shown


def test_actions_need_the_csrf_token(secured: Dash, demo_warehouse: Warehouse,
                                     clients: Callable[[str], FlaskClient]) -> None:
    officer = clients("enforcement_officer")
    status, _ = call_callback(
        officer, [("review-message", "children"), ("review-changed", "data")],
        [(b, "n_clicks", 1 if b == "review-btn-verify" else None) for b in REVIEW_BUTTONS],
        [("review-selected", "data", {"violation_id": KG_VIOLATION, "state": "detected"}),
         ("review-plate", "value", ""), ("review-reason", "value", None), ("review-note", "value", ""),
         ("review-changed", "data", 0), ("review-lang", "data", "vi")],
        csrf="forged", changed=["review-btn-verify.n_clicks"])
    assert status == 403
    assert state_of(demo_warehouse, KG_VIOLATION) == ("detected", None)


def test_hostile_notes_and_plates_stay_text(secured: Dash, demo_warehouse: Warehouse,
                                           clients: Callable[[str], FlaskClient]) -> None:
    officer = clients("enforcement_officer")
    status, text = review_action("review-btn-plate", plate="<script>alert(1)</script>")(officer)
    assert status == 200 and "không đúng định dạng" in text
    status, text = review_action("review-btn-reject", reason="other", note=XSS_NOTE)(officer)
    assert status == 200 and "Đã loại bỏ" in text
    status, shown = detail(officer, KG_VIOLATION)
    payload = json.loads(shown)
    assert status == 200
    assert "dangerously_allow_html" not in shown and '"type": "Markdown"' not in shown
    assert json.dumps(XSS_NOTE, ensure_ascii=False) in shown  # carried as a plain string child, which React renders as text
    assert payload["review-controls"]["hidden"] is True  # a rejected violation has no actions left
    status, _ = review_action("review-btn-reject", reason="no_such_reason", note="x", seen="rejected")(officer)
    assert status == 403


def test_pages_carry_a_content_security_policy(secured: Dash, clients: Callable[[str], FlaskClient]) -> None:
    for response in (clients("enforcement_officer").get("/review"), secured.server.test_client().get("/login")):
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "script-src 'self' 'sha256-" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "'unsafe-eval'" not in policy


@pytest.mark.browser
def test_review_in_a_real_browser(dash_duo, secured: Dash, demo_warehouse: Warehouse,  # type: ignore[no-untyped-def]
                                  clients: Callable[[str], FlaskClient]) -> None:
    review_action("review-btn-plate", plate="68A-123.45")(clients("enforcement_officer"))
    review_action("review-btn-verify")(clients("enforcement_officer"))
    review_action("review-btn-return", seen="verified", reason="other", note=XSS_NOTE)(clients("supervisor"))
    dash_duo.start_server(secured, navigate=False)
    browser_login(dash_duo, "supervisor", start="/review")
    dash_duo.wait_for_text_to_equal(".review-page h2", "Hàng đợi xử lý vi phạm (phạt nguội)", timeout=20)
    dash_duo.find_element("#review-state input[value='detected']").click()
    cell = dash_duo.wait_for_element(f".review-table .ag-row[row-id='{KG_VIOLATION}'] .ag-cell", timeout=20)
    cell.click()
    dash_duo.wait_for_contains_text("#review-detail", "Lịch sử xử lý", timeout=20)
    note = dash_duo.find_element(".review-note-text")
    assert note.text == XSS_NOTE  # shown literally
    WebDriverWait(dash_duo.driver, 10).until(lambda d: d.execute_script(
        "return Array.from(document.querySelectorAll('#review-detail img')).every(i => i.complete)"))
    assert dash_duo.driver.execute_script("return window.__xss === undefined")
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#review-detail script")
    assert "68A-123.45" in dash_duo.find_element("#review-detail").text
    assert severe_console_errors(dash_duo) == [], [e["message"] for e in severe_console_errors(dash_duo)]
