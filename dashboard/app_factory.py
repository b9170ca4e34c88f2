"""Build the Dash app: shell layout, sign-in and CSRF enforcement, pages, callbacks.

Contract: ``create_app(services)`` returns a ready ``dash.Dash`` whose pages and
callbacks read data only through ``services`` and only for a signed-in user with the
permission and scope each needs. It starts nothing; ``app.py`` serves it.
"""

from __future__ import annotations

from pathlib import Path

import dash
import flask
from dash import Dash, Input, html

from dashboard.auth import web
from dashboard.components.navbar import LANG_ID, navbar, register_navbar_callbacks
from dashboard.i18n import t
from dashboard.evidence_route import register_evidence_route
from dashboard.pages import audit_page, map_page, review_page, runs_page, users_page
from dashboard.services import DashboardServices

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


def create_app(services: DashboardServices) -> Dash:
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS_DIR),
        title=t("app.title", "vi"),
        update_title=None,
        serve_locally=True,
        routing_callback_inputs={"lang": Input(LANG_ID, "value")},
        csrf_token_name=web.CSRF_COOKIE,
        csrf_header_name=web.CSRF_HEADER,
    )
    web.install(app.server, services.accounts, secret_key=services.secret_key,
                cookie_secure=services.cookie_secure)
    map_page.register(app, services)
    audit_page.register(app, services)
    runs_page.register(app, services)
    review_page.register(app, services)
    users_page.register(app, services)
    register_evidence_route(app.server, services)

    def shell() -> html.Div:
        # Built per request (/_dash-layout) so it shows the signed-in user; Dash also calls it
        # once without a request to learn the component ids.
        in_request = flask.has_request_context()
        user = flask.g.get("user") if in_request else None
        return html.Div(className="shell", children=[
            navbar(user, str(flask.session.get("csrf", "")) if user else ""),
            html.Main(dash.page_container, className="page"),
        ])

    app.layout = shell
    register_navbar_callbacks(app, services.timezone)
    tile_url = services.tiles.url if services.tiles else None
    web.set_content_security_policy(app.server, lambda: web.content_security_policy(list(app.csp_hashes()), tile_url))

    @app.server.before_request
    def _home_to_map():  # type: ignore[no-untyped-def]
        if flask.request.path == "/":
            return flask.redirect(map_page.PATH)
        return None

    return app
