"""/admin/audit — the audit trail for administrators: chain verification, latest entries
with a filter, and a CSV export (itself audited)."""

from __future__ import annotations

from typing import Any

import dash
import flask
import dash_ag_grid as dag
from dash import Dash, Input, Output, State, dcc, html

from analytics import audit
from dashboard.auth.guard import guarded_layout, require
from dashboard.auth.permissions import Permission
from dashboard.i18n import normalise, t
from dashboard.services import DashboardServices
from dashboard.timefmt import format_local

PATH = "/admin/audit"
LIMIT = 500


def layout(lang: str = "vi", **_: Any) -> html.Div:
    lang = normalise(lang)
    return html.Div(className="admin-page", children=[
        dcc.Store(id="audit-lang", data=lang),
        html.H2(t("audit.heading", lang)),
        html.P(id="audit-verify", className="summary"),
        html.Div(className="audit-tools", children=[
            dcc.Input(id="audit-filter", type="text", debounce=True, placeholder=t("audit.filter", lang)),
            html.A(t("audit.export", lang), href="/export/audit.csv", id="audit-export", className="button"),
        ]),
        dag.AgGrid(
            id="audit-table",
            columnDefs=[{"headerName": t(f"audit.col.{c}", lang), "field": c, "flex": 2 if c == "detail" else 1}
                        for c in ("seq", "time", "actor", "action", "target", "detail", "client_ip")],
            rowData=[],
            defaultColDef={"sortable": True, "resizable": True, "wrapText": True, "autoHeight": True},
            dashGridOptions={"pagination": True, "paginationPageSize": 20},
            style={"height": "70vh"},
        ),
    ])


def register(app: Dash, services: DashboardServices) -> None:
    dash.register_page(
        "admin-audit", path=PATH, name="Nhật ký", order=90, nav_key="nav.audit", permission=Permission.VIEW_AUDIT,
        title=t("app.title", "vi"), layout=guarded_layout(services.accounts, Permission.VIEW_AUDIT, layout),
    )

    @app.callback(
        Output("audit-table", "rowData"),
        Output("audit-verify", "children"),
        Input("audit-filter", "value"),
        State("audit-lang", "data"),
    )
    def entries(text: str | None, lang: str) -> tuple[list[dict[str, Any]], str]:
        require(services.accounts, Permission.VIEW_AUDIT)
        pattern = f"%{(text or '').strip()}%"
        with services.warehouse.reader() as cur:
            rows = cur.execute(
                "SELECT seq, logged_at, actor, action, target, detail, client_ip FROM audit_log "
                "WHERE actor ILIKE ? OR action ILIKE ? OR target ILIKE ? ORDER BY seq DESC LIMIT ?",
                [pattern, pattern, pattern, LIMIT],
            ).fetchall()
            check = audit.verify(cur)
        data = [{"seq": r[0], "time": format_local(r[1], services.timezone), "actor": r[2], "action": r[3],
                 "target": r[4], "detail": r[5], "client_ip": r[6]} for r in rows]
        summary = (t("audit.ok", lang, n=check.entries) if check.ok
                   else t("audit.broken", lang, seq=check.first_bad_seq, reason=check.reason))
        return data, summary

    @app.server.route("/export/audit.csv")
    def export_audit() -> flask.Response:
        user = require(services.accounts, Permission.VIEW_AUDIT, "/export/audit.csv")
        with services.warehouse.reader() as cur:
            frame = cur.execute("SELECT * FROM audit_log ORDER BY seq").df()
        services.accounts.audit(user.username, "audit_exported", "/export/audit.csv",
                                flask.request.remote_addr or "", rows=len(frame))
        response = flask.Response(frame.to_csv(index=False), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="audit_log.csv"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
