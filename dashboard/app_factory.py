"""Build the Dash app: shell layout, pages, callbacks.

Contract: ``create_app(services)`` returns a ready ``dash.Dash`` whose pages and
callbacks read data only through ``services``. It starts nothing; ``app.py`` serves it.
"""

from __future__ import annotations

from pathlib import Path

import dash
import flask
from dash import Dash, Input, html

from dashboard.components.navbar import LANG_ID, navbar, register_navbar_callbacks
from dashboard.i18n import t
from dashboard.pages import map_page
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
    )
    map_page.register(app, services)
    app.layout = html.Div(className="shell", children=[
        navbar(),
        html.Main(dash.page_container, className="page"),
    ])
    register_navbar_callbacks(app, services.timezone)

    @app.server.before_request
    def _home_to_map():  # type: ignore[no-untyped-def]
        if flask.request.path == "/":
            return flask.redirect(map_page.PATH)
        return None

    return app
