"""/map — province map with every camera, coloured by kind or live status.

Filters by province (in the chosen boundary edition) and camera kind; clicking a camera
opens its details in the side panel. Status refreshes every ``refresh_seconds``.
"""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from analytics import queries
from dashboard.auth.guard import guarded_layout, require, require_camera
from dashboard.auth.permissions import Permission
from dashboard.i18n import normalise, t
from dashboard.services import DashboardServices
from dashboard.timefmt import format_date, format_local
from layers.map_figure import MapText, camera_map_figure

PATH = "/map"
KINDS = ("violation", "anpr", "security")  # legend order; drawn in reverse so violation is on top
STATUSES = ("online", "offline", "frozen", "black", "blurred", "dark", "occluded", "view_shifted", "unknown")


def _map_text(lang: str) -> MapText:
    return MapText(
        kind_labels={k: t(f"kind.{k}", lang) for k in KINDS},
        status_labels={s: t(f"status.{s}", lang) for s in STATUSES},
        roads=t("map.roads", lang),
        sites=t("map.sites", lang),
        hover_kind=t("field.kind", lang),
        hover_status=t("field.status", lang),
        hover_site=t("field.site", lang),
        hover_last_check=t("field.last_check", lang),
    )


def layout(services: DashboardServices, lang: str = "vi", **_: Any) -> html.Div:
    lang = normalise(lang)
    return html.Div(className="map-page", children=[
        dcc.Store(id="map-lang", data=lang),
        dcc.Interval(id="map-refresh", interval=services.refresh_seconds * 1000),
        html.Aside(className="map-controls", children=[
            html.H2(t("map.heading", lang)),
            html.Span(t("app.demo_badge", lang), id="map-demo-badge", className="demo-badge", hidden=True),
            html.Label(className="ctl-label", children=t("map.edition", lang), htmlFor="map-edition"),
            dcc.RadioItems(
                id="map-edition",
                options=[{"label": t("map.edition_2025", lang), "value": "2025"},
                         {"label": t("map.edition_2008", lang), "value": "2008"}],
                value=services.default_edition, persistence=True, persistence_type="session",
            ),
            html.P(t("map.derived_note", lang), id="map-derived-note", className="note"),
            html.Label(className="ctl-label", children=t("map.province", lang), htmlFor="map-province"),
            dcc.Dropdown(id="map-province", clearable=False, searchable=False, value="all",
                         options=_province_options(services, services.default_edition, lang)),
            html.Label(className="ctl-label", children=t("map.kind", lang), htmlFor="map-kinds"),
            dcc.Checklist(
                id="map-kinds",
                options=[{"label": t(f"kind.{k}", lang), "value": k} for k in KINDS],
                value=list(KINDS), persistence=True, persistence_type="session",
            ),
            html.Label(className="ctl-label", children=t("map.color_by", lang), htmlFor="map-color-by"),
            dcc.RadioItems(
                id="map-color-by",
                options=[{"label": t("map.color_kind", lang), "value": "kind"},
                         {"label": t("map.color_status", lang), "value": "status"}],
                value="kind", persistence=True, persistence_type="session", inline=True,
            ),
            html.P(id="map-summary", className="summary"),
            html.P(t("map.attribution", lang), className="attribution"),
        ]),
        html.Section(className="map-canvas", children=[
            dcc.Graph(id="map-graph", className="map-graph", style={"height": "100%"}, responsive=True,
                      config={"displaylogo": False, "scrollZoom": True,
                              "modeBarButtonsToRemove": ["select2d", "lasso2d"]}),
        ]),
        html.Aside(id="map-camera-panel", className="camera-panel",
                   children=html.P(t("map.panel_empty", lang), className="muted")),
    ])


def _province_options(services: DashboardServices, edition: str, lang: str) -> list[dict[str, str]]:
    frame = services.geodata.provinces(edition)  # type: ignore[arg-type]
    options = [{"label": t("map.province_all", lang), "value": "all"}]
    return options + [{"label": name, "value": code} for code, name in zip(frame["code"], frame["name"], strict=True)]


def _detail_rows(row: pd.Series, lang: str, tz: str) -> list[html.Tr]:
    def line(key: str, value: Any) -> html.Tr:
        return html.Tr([html.Th(t(key, lang)), html.Td(value)])

    last = format_local(row["last_checked_at"], tz) or t("field.never", lang)
    return [
        line("field.camera_id", row["camera_id"]),
        line("field.kind", t(f"kind.{row['kind']}", lang)),
        line("field.status", html.Span(t(f"status.{row['status']}", lang), className=f"status status-{row['status']}")),
        line("field.last_check", last),
        line("field.site", row["site_name"] or row["site_id"]),
        line("field.province", f"{row['province_code']} / {row['province_code_2025']}"),
        line("field.coords", f"{row['lon']:.5f}, {row['lat']:.5f}"),
        line("field.location_quality", t(f"quality.{row['location_quality']}", lang)),
        line("field.heading", f"{row['heading_deg']:.0f}°"),
        line("field.contractor", row["contractor"]),
        line("field.installed_on", format_date(row["installed_on"])),
        line("field.stream_url", html.Code(row["stream_url"])),
        line("field.snapshot_url", html.Code(row["snapshot_url"])),
        line("field.source", t(f"source.{row['source']}", lang)),
    ]


def register(app: Dash, services: DashboardServices) -> None:
    """Register the page and its callbacks on ``app``, bound to ``services``."""
    dash.register_page(
        "map", path=PATH, name="Bản đồ", order=0, nav_key="nav.map", permission=Permission.VIEW_MAP,
        title=t("app.title", "vi"),
        layout=guarded_layout(services.accounts, Permission.VIEW_MAP,
                              lambda lang="vi", **kw: layout(services, lang, **kw)),
    )

    @app.callback(
        Output("map-province", "options"),
        Output("map-province", "value"),
        Output("map-derived-note", "hidden"),
        Input("map-edition", "value"),
        State("map-province", "value"),
        State("map-lang", "data"),
    )
    def province_options(edition: str, current: str | None, lang: str) -> tuple[list[dict[str, str]], str, bool]:
        require(services.accounts, Permission.VIEW_MAP)
        if edition not in ("2008", "2025"):
            raise PreventUpdate
        options = _province_options(services, edition, lang)
        valid = {o["value"] for o in options}
        return options, current if current in valid else "all", edition != "2025"

    @app.callback(
        Output("map-graph", "figure"),
        Output("map-summary", "children"),
        Output("map-demo-badge", "hidden"),
        Input("map-edition", "value"),
        Input("map-province", "value"),
        Input("map-kinds", "value"),
        Input("map-color-by", "value"),
        Input("map-refresh", "n_intervals"),
        State("map-lang", "data"),
    )
    def figure(edition: str, province: str | None, kinds: list[str] | None, color_by: str,
               _: int | None, lang: str) -> tuple[Any, str, bool]:
        user = require(services.accounts, Permission.VIEW_MAP)
        if edition not in ("2008", "2025") or color_by not in ("kind", "status"):
            raise PreventUpdate
        chosen = None if province in (None, "all") else [str(province)]
        wanted = [k for k in (kinds or []) if k in KINDS]
        with services.warehouse.reader() as cur:
            cams = queries.camera_map(cur, edition=edition, provinces=chosen, kinds=wanted, allowed=user.camera_ids)
            site_frame = queries.sites(cur, edition=edition, allowed=user.camera_ids)
        if chosen is not None:
            site_frame = site_frame[site_frame["province"].isin(chosen)]
        cams["last_check"] = [format_local(v, services.timezone) or t("field.never", lang)
                              for v in cams["last_checked_at"]]
        provinces = services.geodata.provinces(edition)
        focus = provinces[provinces["code"].isin(chosen)].geometry.union_all() if chosen else None
        fig = camera_map_figure(
            provinces=provinces, roads=services.geodata.roads(), sites=site_frame, cameras=cams,
            color_by=color_by, text=_map_text(lang), focus=focus, tiles=services.tiles,
            context=services.geodata.vietnam_outline(),
        )
        has_demo = bool((cams["source"] == "demo").any())
        return fig, t("map.shown", lang, n=len(cams)), not has_demo

    @app.callback(
        Output("map-camera-panel", "children"),
        Input("map-graph", "clickData"),
        State("map-lang", "data"),
        prevent_initial_call=True,
    )
    def camera_panel(click: dict[str, Any] | None, lang: str) -> Any:
        points = (click or {}).get("points") or []
        custom = points[0].get("customdata") if points else None
        if not custom:
            raise PreventUpdate
        camera_id = str(custom[0])
        require_camera(services.accounts, Permission.VIEW_MAP, camera_id)
        with services.warehouse.reader() as cur:
            detail = queries.camera_detail(cur, camera_id)
        if detail.empty:
            return html.P(t("map.panel_missing", lang, id=camera_id), className="muted")
        row = detail.iloc[0]
        return html.Div(id="map-camera-detail", children=[
            html.H3(row["name"]),
            html.Table(className="detail-table", children=html.Tbody(_detail_rows(row, lang, services.timezone))),
        ])
