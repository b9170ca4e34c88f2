"""Permission and scope checks inside callbacks, page layouts and routes.

Contract: ``require(permission)`` returns the request's ``CurrentUser`` or raises
``werkzeug.exceptions.Forbidden`` (HTTP 403) after auditing the refusal; so does
``require_camera`` for a camera outside the user's scope. Hiding a menu item is never
the check: every callback that reads data calls one of these first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask
from dash import html
from werkzeug.exceptions import Forbidden, Unauthorized

from dashboard.auth.accounts import AccountService, CurrentUser
from dashboard.auth.permissions import Permission
from dashboard.i18n import normalise, t


def current_user() -> CurrentUser:
    user = flask.g.get("user")
    if user is None:
        raise Unauthorized("authentication required")
    return user  # type: ignore[no-any-return]


def require(accounts: AccountService, permission: Permission, target: str = "") -> CurrentUser:
    user = current_user()
    if not user.can(permission):
        accounts.audit(user.username, "permission_denied", target or permission.value,
                       flask.request.remote_addr or "", permission=permission.value)
        raise Forbidden(f"{user.role.value} lacks {permission.value}")
    return user


def require_camera(accounts: AccountService, permission: Permission, camera_id: str) -> CurrentUser:
    user = require(accounts, permission, camera_id)
    if not user.sees_camera(camera_id):
        accounts.audit(user.username, "scope_denied", camera_id, flask.request.remote_addr or "")
        raise Forbidden("camera outside the user's scope")
    return user


def guarded_layout(accounts: AccountService, permission: Permission,
                   layout: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a page layout: users without ``permission`` get a refusal instead of the page."""

    def render(lang: str = "vi", **kwargs: Any) -> Any:
        user = flask.g.get("user") if flask.has_request_context() else None
        if user is None:
            # Dash itself calls every page layout once, before any user request, to learn the
            # component ids. Layouts hold no data (callbacks fetch it, guarded), and every
            # routing request from a browser has passed the sign-in check, so this is safe.
            return layout(lang=lang, **kwargs)
        if not user.can(permission):
            accounts.audit(user.username, "permission_denied", flask.request.path, flask.request.remote_addr or "",
                           permission=permission.value)
            return html.Div(t("auth.forbidden", normalise(lang)), id="forbidden", className="forbidden")
        return layout(lang=lang, **kwargs)

    return render
