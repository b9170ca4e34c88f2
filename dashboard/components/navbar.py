"""Top bar: brand, page links built from the page registry, clock, language switch."""

from __future__ import annotations

import dash
from dash import Dash, Input, Output, dcc, html

from dashboard.i18n import DEFAULT_LANG, t
from dashboard.timefmt import now_local

LANG_ID = "lang-toggle"


def navbar() -> html.Header:
    return html.Header(className="topbar", children=[
        html.Div(className="brand", children=[html.Span("◉", className="brand-mark"), html.Span("Mắt Thần")]),
        html.Nav(id="nav-links", className="nav-links"),
        html.Div(className="topbar-right", children=[
            html.Span(id="clock", className="clock"),
            dcc.Interval(id="clock-tick", interval=20_000),
            dcc.RadioItems(
                id=LANG_ID,
                options=[{"label": "VI", "value": "vi"}, {"label": "EN", "value": "en"}],
                value=DEFAULT_LANG,
                persistence=True,
                persistence_type="local",
                inline=True,
                className="lang-toggle",
            ),
        ]),
    ])


def register_navbar_callbacks(app: Dash, timezone: str) -> None:
    @app.callback(Output("nav-links", "children"), Input(LANG_ID, "value"), Input("_pages_location", "pathname"))
    def nav_links(lang: str, pathname: str | None) -> list[dcc.Link]:
        links = []
        for page in dash.page_registry.values():
            if not page.get("nav_key"):
                continue
            active = pathname == page["path"] or (pathname in (None, "/") and page["path"] == "/map")
            links.append(dcc.Link(t(page["nav_key"], lang), href=page["path"],
                                  className="nav-link active" if active else "nav-link"))
        return links

    @app.callback(Output("clock", "children"), Input("clock-tick", "n_intervals"), Input(LANG_ID, "value"))
    def clock(_: int | None, lang: str) -> str:
        return f"{t('app.clock', lang)}: {now_local(timezone)}"
