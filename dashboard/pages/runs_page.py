"""/admin/runs — pipeline runs per camera: status (ok / partial / failed), the detector
actually used (a yolo → motion fallback is shown with its reason), frames, speed,
warnings and errors, and how many violations each run found. Scoped to the user's cameras."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
from dash import Dash, Input, Output, State, dcc, html

from analytics import queries
from dashboard.auth.guard import guarded_layout, require
from dashboard.auth.permissions import Permission
from dashboard.components.grid_locale import grid_locale
from dashboard.i18n import normalise, t
from dashboard.services import DashboardServices
from dashboard.timefmt import format_local

PATH = "/admin/runs"
COLUMNS = ("time", "camera_id", "status", "detector", "frames", "fps", "violations", "warnings", "errors")


def layout(lang: str = "vi", **_: Any) -> html.Div:
    lang = normalise(lang)
    return html.Div(className="admin-page", children=[
        dcc.Store(id="runs-lang", data=lang),
        html.H2(t("runs.heading", lang)),
        html.P(id="runs-summary", className="summary"),
        dcc.RadioItems(id="runs-status", value="all", inline=True, className="runs-filter", options=[
            {"label": t(f"runs.filter.{key}", lang), "value": key} for key in ("all", "failed", "partial", "warnings")]),
        dag.AgGrid(
            id="runs-table",
            columnDefs=[{"headerName": t(f"runs.col.{c}", lang), "field": c,
                         "flex": 3 if c in ("warnings", "errors") else 1,
                         **({"cellClassRules": {"run-failed": "x == 'failed'", "run-partial": "x == 'partial'"}}
                            if c == "status" else {})} for c in COLUMNS],
            rowData=[],
            defaultColDef={"sortable": True, "resizable": True, "wrapText": True, "autoHeight": True,
                           "filter": True},
            dashGridOptions={"pagination": True, "paginationPageSize": 20, "localeText": grid_locale(lang)},
            style={"height": "70vh"},
        ),
    ])


def register(app: Dash, services: DashboardServices) -> None:
    dash.register_page(
        "admin-runs", path=PATH, name="Lượt xử lý", order=85, nav_key="nav.runs", permission=Permission.MANAGE_CAMERAS,
        title=t("app.title", "vi"), layout=guarded_layout(services.accounts, Permission.MANAGE_CAMERAS, layout),
    )

    @app.callback(
        Output("runs-table", "rowData"),
        Output("runs-summary", "children"),
        Input("runs-status", "value"),
        State("runs-lang", "data"),
    )
    def runs(status: str | None, lang: str) -> tuple[list[dict[str, Any]], str]:
        user = require(services.accounts, Permission.MANAGE_CAMERAS)
        chosen = status if status in ("failed", "partial", "warnings") else None
        with services.warehouse.reader() as cur:
            frame = queries.pipeline_runs(cur, allowed=user.camera_ids, status=chosen)
        rows = [{
            "time": format_local(r.segment_start, services.timezone), "camera_id": r.camera_id,
            "status": r.status, "detector": r.detector, "frames": f"{r.frames_detected}/{r.frames_read}",
            "fps": None if r.fps is None or r.fps != r.fps else round(float(r.fps), 1),
            "violations": int(r.violations), "warnings": "; ".join(r.warnings), "errors": "; ".join(r.errors),
        } for r in frame.itertuples()]
        failed = sum(1 for r in rows if r["status"] == "failed")
        fallback = sum(1 for r in rows if "yolo → motion" in r["warnings"])
        return rows, t("runs.summary", lang, n=len(rows), failed=failed, fallback=fallback)
