"""/admin/users — accounts for administrators: list, create with role and scope, change
role and scope, lock and unlock, reset a password. Every action is checked on the server
(``manage_users``) and audited by ``AccountService``."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import flask
from dash import Dash, Input, Output, State, ctx, dcc, html

from analytics import accounts as store
from analytics.accounts import ScopeEntry
from dashboard.auth.accounts import AccountError
from dashboard.auth.guard import guarded_layout, require
from dashboard.auth.permissions import ROLE_LABELS, Permission, Role
from dashboard.i18n import normalise, t
from dashboard.services import DashboardServices
from dashboard.timefmt import format_local

PATH = "/admin/users"


def _label(text: str) -> html.Label:
    return html.Label(text, className="ctl-label")


def layout(services: DashboardServices, lang: str = "vi", **_: Any) -> html.Div:
    lang = normalise(lang)
    roles = [{"label": (en if lang == "en" else vi), "value": r.value} for r, (vi, en) in ROLE_LABELS.items()]
    scopes = [{"label": label, "value": f"{kind}:{ident}"} for kind, ident, label in store.scope_choices(services.warehouse)]
    return html.Div(className="admin-page", children=[
        dcc.Store(id="users-lang", data=lang),
        html.H2(t("users.heading", lang)),
        dag.AgGrid(
            id="users-table",
            columnDefs=[{"headerName": t(f"users.col.{c}", lang), "field": c}
                        for c in ("username", "full_name", "role", "scopes", "active", "password_changed")],
            rowData=[], defaultColDef={"sortable": True, "resizable": True, "flex": 1},
            style={"height": "40vh"},
        ),
        html.Div(className="users-form", children=[
            _label(t("users.username", lang)), dcc.Input(id="users-username", type="text", debounce=False),
            _label(t("users.full_name", lang)), dcc.Input(id="users-full-name", type="text"),
            _label(t("users.role", lang)), dcc.Dropdown(id="users-role", options=roles, value="enforcement_officer",
                                                        clearable=False),
            _label(t("users.scopes", lang)), dcc.Dropdown(id="users-scopes", options=scopes, multi=True),
            _label(t("users.password", lang)), dcc.Input(id="users-password", type="password"),
            html.Div(className="audit-tools", children=[
                html.Button(t("users.create", lang), id="users-create", className="button"),
                html.Button(t("users.update", lang), id="users-update", className="button"),
                html.Button(t("users.lock", lang), id="users-lock", className="button"),
                html.Button(t("users.unlock", lang), id="users-unlock", className="button"),
                html.Button(t("users.reset", lang), id="users-reset", className="button"),
            ]),
            html.P(id="users-message", className="summary"),
        ]),
    ])


def _rows(services: DashboardServices, lang: str) -> list[dict[str, Any]]:
    rows = []
    for user in store.list_users(services.warehouse):
        vi, en = ROLE_LABELS[Role(user.role)]
        scopes = ", ".join(f"{s.kind}:{s.scope_id}" for s in store.user_scopes(services.warehouse, user.username))
        rows.append({"username": user.username, "full_name": user.full_name, "role": en if lang == "en" else vi,
                     "scopes": scopes, "active": t("users.yes" if user.active else "users.no", lang),
                     "password_changed": format_local(user.password_changed_at, services.timezone)})
    return rows


def _scopes(values: list[str] | None) -> list[ScopeEntry]:
    out = []
    for value in values or []:
        kind, _, ident = str(value).partition(":")
        out.append(ScopeEntry(kind=kind, scope_id=ident))
    return out


def register(app: Dash, services: DashboardServices) -> None:
    dash.register_page(
        "admin-users", path=PATH, name="Tài khoản", order=80, nav_key="nav.users", permission=Permission.MANAGE_USERS,
        title=t("app.title", "vi"),
        layout=guarded_layout(services.accounts, Permission.MANAGE_USERS,
                              lambda lang="vi", **kw: layout(services, lang, **kw)),
    )

    @app.callback(
        Output("users-table", "rowData"),
        Output("users-message", "children"),
        Input("users-create", "n_clicks"),
        Input("users-update", "n_clicks"),
        Input("users-lock", "n_clicks"),
        Input("users-unlock", "n_clicks"),
        Input("users-reset", "n_clicks"),
        State("users-username", "value"),
        State("users-full-name", "value"),
        State("users-role", "value"),
        State("users-scopes", "value"),
        State("users-password", "value"),
        State("users-lang", "data"),
    )
    def act(_c: int | None, _u: int | None, _l: int | None, _ul: int | None, _r: int | None, username: str | None,
            full_name: str | None, role: str | None, scopes: list[str] | None, password: str | None,
            lang: str) -> tuple[list[dict[str, Any]], str]:
        admin = require(services.accounts, Permission.MANAGE_USERS)
        accounts = services.accounts
        action = ctx.triggered_id
        name = (username or "").strip().lower()
        message = ""
        try:
            if action == "users-create":
                accounts.create_user(username=name, full_name=full_name or "", role=Role(role or ""),
                                     password=password or "", scopes=_scopes(scopes), actor=admin.username,
                                     client_ip=flask.request.remote_addr or "")
                message = t("users.created", lang, name=name)
            elif action == "users-update":
                accounts.set_role_and_scopes(name, Role(role or ""), _scopes(scopes), actor=admin.username)
                message = t("users.updated", lang, name=name)
            elif action in ("users-lock", "users-unlock"):
                if name == admin.username:
                    raise AccountError(t("users.not_self", lang))
                accounts.set_active(name, action == "users-unlock", actor=admin.username)
                message = t("users.updated", lang, name=name)
            elif action == "users-reset":
                accounts.reset_password(name, password or "", actor=admin.username)
                message = t("users.updated", lang, name=name)
        except (AccountError, ValueError) as exc:
            message = str(exc)
        return _rows(services, lang), message
