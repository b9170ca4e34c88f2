"""/review — the enforcement officers' queue (phạt nguội): violations of the user's cameras,
oldest first with the 10-day notice clock; pick one to watch its clip, keyframes and plate
crop, correct the plate, verify or reject with a reason; a supervisor approves or returns
what an officer verified (never their own).

Every callback re-checks ``review_violations`` (``approve_violations`` for approve/return)
and the violation's camera scope on the server, reading the camera from the warehouse, not
from the browser. Actions go through ``analytics.review.apply`` (state check, history row
and audit-chain entry in one transaction). User-entered text is only ever rendered as text.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import dash
import dash_ag_grid as dag
import flask
import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, html
from werkzeug.exceptions import Forbidden, NotFound

from analytics import queries, review
from analytics.review import Action, RejectReason, ReviewError, ReviewRequest
from dashboard.auth.accounts import CurrentUser
from dashboard.auth.guard import guarded_layout, require, require_camera
from dashboard.auth.permissions import Permission
from dashboard.components.grid_locale import grid_locale
from dashboard.evidence_route import evidence_listing
from dashboard.i18n import keys, normalise, t
from dashboard.services import DashboardServices
from dashboard.timefmt import format_local

PATH = "/review"
QUEUE_STATES = ("detected", "verified", "approved", "rejected")
OPEN_STATES = ("detected", "verified", "approved")  # the notice clock still runs
VIOLATION_TYPES = ("red_light", "stop_line", "wrong_way", "wrong_lane", "illegal_stop", "speeding", "no_helmet")
BUTTONS = {Action.CORRECT_PLATE: "review-btn-plate", Action.VERIFY: "review-btn-verify",
           Action.REJECT: "review-btn-reject", Action.APPROVE: "review-btn-approve",
           Action.RETURN: "review-btn-return"}


def _label(text: str) -> html.Label:
    return html.Label(text, className="ctl-label")


def layout(lang: str = "vi", **_: Any) -> html.Div:
    lang = normalise(lang)
    user = flask.g.get("user") if flask.has_request_context() else None
    approver = bool(user and user.can(Permission.APPROVE_VIOLATIONS))
    default_state = "verified" if approver else "detected"
    return html.Div(className="review-page", children=[
        dcc.Store(id="review-lang", data=lang),
        dcc.Store(id="review-selected", data=None),
        dcc.Store(id="review-changed", data=0),
        html.H2(t("review.heading", lang)),
        html.Div(className="filters-row", children=[
            _label(t("review.state", lang)),
            dcc.RadioItems(id="review-state", value=default_state, inline=True, className="runs-filter", options=[
                {"label": t(f"state.{s}", lang), "value": s} for s in QUEUE_STATES]),
            _label(t("review.type", lang)),
            dcc.Dropdown(id="review-type", value="all", clearable=False, className="review-type", options=[
                {"label": t("review.type_all", lang), "value": "all"},
                *({"label": t(f"vtype.{v}", lang), "value": v} for v in VIOLATION_TYPES)]),
        ]),
        html.P(id="review-summary", className="summary"),
        html.Div(className="review-layout", children=[
            dag.AgGrid(
                id="review-table",
                columnDefs=[
                    {"headerName": t("review.col.time", lang), "field": "time", "minWidth": 140},
                    {"headerName": t("review.col.camera", lang), "field": "camera", "minWidth": 200, "flex": 2},
                    {"headerName": t("review.col.type", lang), "field": "type", "minWidth": 130},
                    {"headerName": t("review.col.vehicle", lang), "field": "vehicle", "minWidth": 90},
                    {"headerName": t("review.col.plate", lang), "field": "plate", "minWidth": 130},
                    {"headerName": t("review.col.speed", lang), "field": "speed", "minWidth": 90},
                    {"headerName": t("review.col.deadline", lang), "field": "deadline", "minWidth": 150,
                     "cellClassRules": {"run-failed": "data.overdue"}},
                ],
                rowData=[], getRowId="params.data.violation_id",
                defaultColDef={"sortable": True, "resizable": True, "filter": True},
                dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                  "enableClickSelection": True},
                                 "pagination": True, "paginationPageSize": 20, "localeText": grid_locale(lang)},
                style={"height": "62vh"}, className="review-table",
            ),
            html.Div(className="review-panel", children=[
                html.Div(id="review-detail", children=html.P(t("review.select", lang), className="muted")),
                html.Div(id="review-controls", className="review-controls", hidden=True, children=[
                    _label(t("review.plate_input", lang)),
                    dcc.Input(id="review-plate", type="text", maxLength=20, debounce=False,
                              placeholder="68A-123.45"),
                    html.Div(className="audit-tools", children=[
                        html.Button(t("review.correct_plate", lang), id=BUTTONS[Action.CORRECT_PLATE],
                                    className="button"),
                        html.Button(t("review.verify", lang), id=BUTTONS[Action.VERIFY], className="button primary"),
                    ]),
                    _label(t("review.reason", lang)),
                    dcc.Dropdown(id="review-reason", clearable=True, options=[
                        {"label": t(f"reason.{r.value}", lang), "value": r.value} for r in RejectReason]),
                    _label(t("review.note", lang)),
                    dcc.Textarea(id="review-note", maxLength=review.NOTE_MAX_CHARS, className="review-note"),
                    html.Div(className="audit-tools", children=[
                        html.Button(t("review.reject", lang), id=BUTTONS[Action.REJECT], className="button danger"),
                        html.Button(t("review.approve", lang), id=BUTTONS[Action.APPROVE], className="button primary",
                                    hidden=not approver),
                        html.Button(t("review.return", lang), id=BUTTONS[Action.RETURN], className="button",
                                    hidden=not approver),
                    ]),
                ]),
                html.P(id="review-message", className="summary", role="status"),
            ]),
        ]),
    ])


def deadline_text(occurred_at: datetime, state: str, now: datetime, lang: str) -> tuple[str, bool]:
    """The notice clock: days left of the 10 days from detection (or overdue)."""
    if state not in OPEN_STATES:
        return "—", False
    left = (occurred_at + timedelta(days=review.NOTICE_DUE_DAYS) - now) / timedelta(days=1)
    if left < 0:
        return t("review.overdue", lang, n=math.ceil(-left)), True
    return t("review.days_left", lang, n=math.floor(left)), False


def _plate_cell(row: Any, lang: str) -> str:
    if isinstance(row.plate_confirmed, str):
        return f"{row.plate_confirmed} ✔"
    if isinstance(row.plate_text, str) and not row.plate_needs_review:
        return row.plate_text
    return f"{row.plate_text} ?" if isinstance(row.plate_text, str) else t("review.plate_unread", lang)


def _history(frame: pd.DataFrame, tz: str, lang: str) -> html.Div:
    if frame.empty:
        return html.P(t("review.history_empty", lang), className="muted")
    items = []
    for r in frame.itertuples():
        parts = [format_local(r.acted_at.to_pydatetime(), tz), r.actor, t(f"action.{r.action}", lang),
                 f"{t(f'state.{r.from_state}', lang)} → {t(f'state.{r.to_state}', lang)}"]
        if isinstance(r.plate_after, str) and r.plate_after != r.plate_before:
            parts.append(f"{r.plate_before or '—'} → {r.plate_after}")
        if isinstance(r.reason_code, str):
            parts.append(t(f"reason.{r.reason_code}", lang))
        items.append(html.Li([" · ".join(parts), *([html.Q(r.note, className="review-note-text")]
                                                   if isinstance(r.note, str) else [])]))
    return html.Ol(items, className="review-history")


def _evidence(services: DashboardServices, user: CurrentUser, violation_id: str, relative: str | None,
              lang: str) -> list[Any]:
    if not relative:
        return [html.P(t("review.no_evidence", lang), className="muted")]
    files, problems = evidence_listing(services.evidence_root, relative)
    out: list[Any] = [html.P(t("review.evidence_broken", lang, problem=p), className="error") for p in problems]
    base = f"/evidence/{violation_id}/"
    personal = user.can(Permission.VIEW_PERSONAL_DATA)
    for f in files:
        if f.kind == "clip" and (f.personal and (personal or f.masked)):
            out.append(html.Video(src=base + f.name, controls=True, preload="metadata", className="review-clip",
                                  id="review-clip"))
            if user.can(Permission.DOWNLOAD_EVIDENCE):
                out.append(html.A(t("review.download", lang), href=base + f.name + "?download=1",
                                  className="button", id="review-download"))
    images = [html.Img(src=base + f.name, alt=f.name, className=f"review-{f.kind}")
              for f in files if f.kind in ("keyframe", "plate")]
    out.append(html.Div(images, className="review-images"))
    return out


def register(app: Dash, services: DashboardServices) -> None:
    dash.register_page(
        "review", path=PATH, name="Xử lý vi phạm", order=20, nav_key="nav.review",
        permission=Permission.REVIEW_VIOLATIONS, title=t("app.title", "vi"),
        layout=guarded_layout(services.accounts, Permission.REVIEW_VIOLATIONS, layout),
    )

    @app.callback(
        Output("review-table", "rowData"),
        Output("review-summary", "children"),
        Input("review-state", "value"),
        Input("review-type", "value"),
        Input("review-changed", "data"),
        State("review-lang", "data"),
    )
    def queue(state: str | None, vtype: str | None, _changed: int | None,
              lang: str) -> tuple[list[dict[str, Any]], str]:
        user = require(services.accounts, Permission.REVIEW_VIOLATIONS)
        lang = normalise(lang)
        states = [state] if state in QUEUE_STATES else ["detected"]
        with services.warehouse.reader() as cur:
            frame = queries.review_queue(cur, allowed=user.camera_ids, states=states,
                                         violation_type=vtype if vtype in VIOLATION_TYPES else None)
        now = datetime.now(UTC)
        rows = []
        for r in frame.itertuples():
            occurred = r.occurred_at.to_pydatetime()
            deadline, overdue = deadline_text(occurred, r.workflow_state, now, lang)
            rows.append({
                "violation_id": r.violation_id, "time": format_local(occurred, services.timezone),
                "camera": f"{r.camera_id} – {r.camera_name}", "type": t(f"vtype.{r.violation_type}", lang),
                "vehicle": t(f"vclass.{r.vehicle_class}", lang) if f"vclass.{r.vehicle_class}" in keys()
                else r.vehicle_class,
                "plate": _plate_cell(r, lang),
                "speed": None if pd.isna(r.speed_kmh) else round(float(r.speed_kmh)),
                "deadline": deadline, "overdue": overdue,
            })
        plates = sum(1 for r in frame.itertuples() if not isinstance(r.plate_confirmed, str) and r.plate_needs_review)
        return rows, t("review.summary", lang, n=len(rows), overdue=sum(r["overdue"] for r in rows), plates=plates)

    @app.callback(
        Output("review-detail", "children"),
        Output("review-selected", "data"),
        Output("review-controls", "hidden"),
        Output("review-plate", "value"),
        Input("review-table", "selectedRows"),
        Input("review-changed", "data"),
        State("review-selected", "data"),
        State("review-lang", "data"),
    )
    def detail(selected: list[dict[str, Any]] | None, _changed: int | None, current: dict[str, Any] | None,
               lang: str) -> tuple[Any, Any, bool, str]:
        user = require(services.accounts, Permission.REVIEW_VIOLATIONS)
        lang = normalise(lang)
        if ctx.triggered_id == "review-changed" and current:
            violation_id = str(current.get("violation_id", ""))
        elif selected:
            violation_id = str(selected[0].get("violation_id", ""))
        else:
            return html.P(t("review.select", lang), className="muted"), None, True, ""
        with services.warehouse.reader() as cur:
            frame = queries.violation_review(cur, violation_id)
            history = queries.violation_actions(cur, violation_id)
        if frame.empty:
            raise NotFound()
        row = next(frame.itertuples())
        require_camera(services.accounts, Permission.REVIEW_VIOLATIONS, str(row.camera_id))
        occurred = row.occurred_at.to_pydatetime()
        lines: list[Any] = [html.H3(t("review.detail", lang, type=t(f"vtype.{row.violation_type}", lang),
                                      camera=f"{row.camera_id} – {row.camera_name}",
                                      time=format_local(occurred, services.timezone))),
                            html.P(t(f"state.{row.workflow_state}", lang), className="review-state-badge")]
        if isinstance(row.finding, str) and row.finding:
            lines.append(html.P(t("review.finding", lang, finding=row.finding), className="review-finding"))
        if isinstance(row.plate_confirmed, str):
            lines.append(html.P(t("review.plate_confirmed", lang, plate=row.plate_confirmed)))
        if isinstance(row.plate_text, str):
            lines.append(html.P(t("review.plate_read", lang, plate=row.plate_text,
                                  conf=f"{float(row.plate_confidence):.2f}" if pd.notna(row.plate_confidence)
                                  else "—")))
        if not isinstance(row.plate_text, str) or row.plate_needs_review:
            lines.append(html.P(t("review.plate_none", lang), className="warning"))
        services.accounts.audit(user.username, "violation_viewed", violation_id, flask.request.remote_addr or "")
        lines.extend(_evidence(services, user, violation_id, row.evidence_path, lang))
        lines.extend([html.H4(t("review.history", lang)), _history(history, services.timezone, lang)])
        plate = row.plate_confirmed if isinstance(row.plate_confirmed, str) else (
            row.plate_text if isinstance(row.plate_text, str) else "")
        return (html.Div(lines), {"violation_id": violation_id, "state": row.workflow_state},
                row.workflow_state not in ("detected", "verified"), plate)

    @app.callback(
        Output("review-message", "children"),
        Output("review-changed", "data"),
        Input(BUTTONS[Action.CORRECT_PLATE], "n_clicks"),
        Input(BUTTONS[Action.VERIFY], "n_clicks"),
        Input(BUTTONS[Action.REJECT], "n_clicks"),
        Input(BUTTONS[Action.APPROVE], "n_clicks"),
        Input(BUTTONS[Action.RETURN], "n_clicks"),
        State("review-selected", "data"),
        State("review-plate", "value"),
        State("review-reason", "value"),
        State("review-note", "value"),
        State("review-changed", "data"),
        State("review-lang", "data"),
        prevent_initial_call=True,
    )
    def act(*args: Any) -> tuple[str, int]:
        selected, plate, reason, note, changed, lang = args[5:]
        lang = normalise(lang)
        action = next((a for a, button in BUTTONS.items() if button == ctx.triggered_id), None)
        if action is None or not isinstance(selected, dict):
            return dash.no_update, dash.no_update  # type: ignore[return-value]
        needed = Permission.APPROVE_VIOLATIONS if action in (Action.APPROVE, Action.RETURN) \
            else Permission.REVIEW_VIOLATIONS
        user = require(services.accounts, needed, str(selected.get("violation_id", "")))
        violation_id = str(selected.get("violation_id", ""))
        with services.warehouse.reader() as cur:
            found = queries.violation_evidence(cur, violation_id)
        if found is None:
            raise NotFound()
        require_camera(services.accounts, needed, found[0])
        try:
            chosen_reason = RejectReason(reason) if reason else None
        except ValueError as exc:
            raise Forbidden("unknown reason") from exc
        try:
            outcome = review.apply(services.warehouse, ReviewRequest(
                violation_id=violation_id, action=action, actor=user.username,
                seen_state=str(selected.get("state", "")), plate=plate if isinstance(plate, str) else None,
                reason=chosen_reason, note=note if isinstance(note, str) else "",
                client_ip=flask.request.remote_addr or ""))
        except ReviewError as exc:
            return t(f"review.error.{exc.code}", lang), dash.no_update  # type: ignore[return-value]
        return (t("review.done", lang, action=t(f"action.{action.value}", lang),
                  state=t(f"state.{outcome.to_state.value}", lang)), int(changed or 0) + 1)

