"""Top bar: brand, page links (from the page registry, only those the user may open),
clock, signed-in user with password change and sign-out, language switch."""

from __future__ import annotations

import dash
from dash import Dash, Input, Output, dcc, html

from dashboard.auth.accounts import CurrentUser
from dashboard.auth.guard import current_user
from dashboard.auth.web import role_label
from dashboard.i18n import DEFAULT_LANG, t
from dashboard.timefmt import now_local

LANG_ID = "lang-toggle"


def navbar(user: CurrentUser | None, csrf_token: str) -> html.Header:
    return html.Header(className="topbar", children=[
        html.Div(className="brand", children=[html.Span("◉", className="brand-mark"), html.Span("Mắt Thần")]),
        html.Nav(id="nav-links", className="nav-links"),
        html.Div(className="topbar-right", children=[
            html.Span(id="clock", className="clock"),
            dcc.Interval(id="clock-tick", interval=20_000),
            html.Span(id="user-badge", className="user-badge", children=[
                html.Span(user.full_name if user else "", id="user-name"),
                html.Span(id="user-role", className="muted"),
            ]),
            html.A(id="password-link", href="/account/password", className="nav-link"),
            html.Form(action="/logout", method="POST", className="logout-form", children=[
                dcc.Input(type="hidden", name="csrf_token", value=csrf_token, id="logout-csrf"),
                html.Button(id="logout-button", type="submit", className="nav-link as-button"),
            ]),
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
    @app.callback(
        Output("nav-links", "children"),
        Output("user-role", "children"),
        Output("password-link", "children"),
        Output("logout-button", "children"),
        Input(LANG_ID, "value"),
        Input("_pages_location", "pathname"),
    )
    def nav_links(lang: str, pathname: str | None) -> tuple[list[dcc.Link], str, str, str]:
        user = current_user()
        links = []
        for page in dash.page_registry.values():
            permission = page.get("permission")
            if not page.get("nav_key") or (permission is not None and not user.can(permission)):
                continue
            active = pathname == page["path"]
            links.append(dcc.Link(t(page["nav_key"], lang), href=page["path"],
                                  className="nav-link active" if active else "nav-link"))
        return links, f"({role_label(user, lang)})", t("auth.change_password", lang), t("auth.logout", lang)

    @app.callback(Output("clock", "children"), Input("clock-tick", "n_intervals"), Input(LANG_ID, "value"))
    def clock(_: int | None, lang: str) -> str:
        current_user()
        return f"{t('app.clock', lang)}: {now_local(timezone)}"
