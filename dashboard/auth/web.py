"""Server-side enforcement on the Flask app under Dash: sign-in, sessions, CSRF, headers.

Contract:
- Every request except the login page and static bundles needs an open session; without
  one, page requests are redirected to /login and API requests (``/_dash-…``) get 401.
- Every state-changing request (POST/PUT/PATCH/DELETE) must carry the session's CSRF
  token, in the ``X-CSRFToken`` header (Dash sends it from the ``_csrf_token`` cookie) or
  the ``csrf_token`` form field; otherwise 403, and the refusal is audited.
- ``flask.g.user`` holds the ``CurrentUser`` for callbacks and routes (see ``guard``).
- Every response carries the security headers, including the Content-Security-Policy set
  by ``set_content_security_policy`` (no inline script but Dash's own, by hash).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from urllib.parse import urlparse

import flask
from werkzeug.wrappers import Response

from dashboard.auth.accounts import AccountError, AccountService, CurrentUser
from dashboard.auth.permissions import ROLE_LABELS
from dashboard.i18n import t

CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")
PUBLIC_PATHS = ("/login",)
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }} – Mắt Thần</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/style.css"></head>
<body class="auth-body"><main class="auth-card">
<h1><span class="brand-mark">◉</span> Mắt Thần</h1>
<h2>{{ title }}</h2>
{% if message %}<p class="auth-message {{ message_class }}" id="auth-message">{{ message }}</p>{% endif %}
<form method="post" action="{{ action }}" autocomplete="off">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="next" value="{{ next_path }}">
{% for name, label, kind in fields %}
<label for="{{ name }}">{{ label }}</label>
<input id="{{ name }}" name="{{ name }}" type="{{ kind }}" required
  {% if kind == 'password' %}autocomplete="{{ 'current-password' if name in ('password', 'current') else 'new-password' }}"{% endif %}>
{% endfor %}
<button type="submit" id="auth-submit">{{ submit }}</button>
</form>
<p class="auth-foot"><a href="?lang={{ other_lang }}&amp;next={{ next_path|urlencode }}">{{ other_label }}</a>
{% if back %} · <a href="/map">{{ back }}</a>{% endif %}</p>
</main></body></html>"""


def client_ip() -> str:
    return flask.request.remote_addr or ""


def _lang() -> str:
    return "en" if flask.request.args.get("lang") == "en" or flask.request.form.get("lang") == "en" else "vi"


def _csrf_token() -> str:
    token = flask.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        flask.session["csrf"] = token
    return str(token)


def _safe_next(value: str | None) -> str:
    """Only same-site paths; never an absolute or protocol-relative URL."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/map"
    parsed = urlparse(value)
    return "/map" if parsed.scheme or parsed.netloc else value


def _render(*, title_key: str, action: str, fields: list[tuple[str, str, str]], submit_key: str,
            message: str = "", message_class: str = "error", back: bool = False, status: int = 200) -> Response:
    lang = _lang()
    html = flask.render_template_string(
        _PAGE, lang=lang, title=t(title_key, lang), action=action, fields=fields, submit=t(submit_key, lang),
        message=message, message_class=message_class, csrf=_csrf_token(),
        next_path=_safe_next(flask.request.values.get("next")),
        other_lang="en" if lang == "vi" else "vi", other_label="English" if lang == "vi" else "Tiếng Việt",
        back=t("auth.back", lang) if back else "",
    )
    return flask.Response(html, status=status, mimetype="text/html")


CSP_CONFIG_KEY = "MATTHAN_CSP"


def content_security_policy(script_hashes: list[str], tile_url: str | None = None) -> str:
    """The policy: only our own scripts (Dash's inline bootstrap by hash), styles inline
    (plotly and AG Grid inject them), images/media/workers from us, data: and blob:, and the
    configured online tile server if any; no framing, plugins or foreign form targets."""
    tiles = ""
    if tile_url:
        parsed = urlparse(tile_url.replace("{s}", "x"))
        host = parsed.netloc.replace("x.", "*.", 1) if "{s}" in tile_url else parsed.netloc
        tiles = f" {parsed.scheme}://{host}" if parsed.scheme in ("http", "https") and host else ""
    hashes = " ".join(h if h.startswith("'") else f"'{h}'" for h in script_hashes)  # Dash quotes its own
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {hashes}".rstrip(),
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob:{tiles}",
        "media-src 'self' blob:",
        "font-src 'self' data:",
        f"connect-src 'self'{tiles}",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def set_content_security_policy(server: flask.Flask, policy: Callable[[], str]) -> None:
    """``policy`` is asked per response: Dash adds inline scripts (clientside callbacks of
    pages) when it sets itself up on the first request, so the hashes cannot be fixed earlier."""
    server.config[CSP_CONFIG_KEY] = policy


def install(server: flask.Flask, accounts: AccountService, *, secret_key: bytes, cookie_secure: bool) -> None:
    """Wire sign-in, sessions and CSRF into ``server``."""
    server.secret_key = secret_key
    server.config.update(
        SESSION_COOKIE_NAME="matthan_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cookie_secure,
    )

    @server.before_request
    def _enforce() -> Response | None:
        path = flask.request.path
        if path.startswith(PUBLIC_PREFIXES):
            return None
        if flask.request.method in UNSAFE_METHODS:
            sent = flask.request.headers.get(CSRF_HEADER) or flask.request.form.get("csrf_token") or ""
            expected = flask.session.get("csrf") or ""
            if not expected or not hmac.compare_digest(str(sent), str(expected)):
                accounts.audit(flask.session.get("user", "?"), "csrf_rejected", path, client_ip())
                return flask.Response(t("auth.csrf", _lang()), status=403, mimetype="text/plain")
        if path in PUBLIC_PATHS:
            return None
        sid = flask.session.get("sid")
        user, reason = accounts.load_session(str(sid), client_ip()) if sid else (None, "")
        if user is None:
            flask.session.pop("sid", None)
            if path.startswith("/_dash-") or path.startswith("/evidence/") or path.startswith("/export/"):
                return flask.Response("authentication required", status=401, mimetype="text/plain")
            query = "expired=1&" if reason == "expired" else ""
            return flask.redirect(f"/login?{query}next={flask.request.full_path.rstrip('?')}")
        flask.g.user = user
        return None

    @server.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        policy = server.config.get(CSP_CONFIG_KEY)
        if policy is not None:
            response.headers.setdefault("Content-Security-Policy", policy())
        if "csrf" in flask.session:
            response.set_cookie(CSRF_COOKIE, flask.session["csrf"], httponly=False, samesite="Strict",
                                secure=cookie_secure)
        if flask.request.path.startswith(("/login", "/account/")):
            response.headers["Cache-Control"] = "no-store"
        return response

    login_fields = lambda lang: [("username", t("auth.username", lang), "text"),  # noqa: E731
                                 ("password", t("auth.password", lang), "password")]

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Response:
        lang = _lang()
        if flask.request.method == "GET":
            message = t("auth.expired", lang) if flask.request.args.get("expired") else ""
            if not accounts.has_users():
                message = t("auth.no_accounts", lang)
            return _render(title_key="auth.title", action="/login", fields=login_fields(lang),
                           submit_key="auth.submit", message=message)
        result = accounts.authenticate(flask.request.form.get("username", ""),
                                       flask.request.form.get("password", ""), client_ip())
        if result.user is None:
            return _render(title_key="auth.title", action="/login", fields=login_fields(lang),
                           submit_key="auth.submit", message=t(result.message_key, lang), status=401)
        flask.session.clear()
        flask.session["sid"] = result.user.session_id
        flask.session["user"] = result.user.username
        flask.session["csrf"] = secrets.token_urlsafe(32)
        return flask.redirect(_safe_next(flask.request.form.get("next")))

    @server.route("/logout", methods=["POST"])
    def logout() -> Response:
        user: CurrentUser = flask.g.user
        accounts.logout(user, client_ip())
        flask.session.clear()
        return flask.redirect("/login")

    @server.route("/account/password", methods=["GET", "POST"])
    def change_password() -> Response:
        lang = _lang()
        fields = [("current", t("auth.current_password", lang), "password"),
                  ("new", t("auth.new_password", lang), "password"),
                  ("confirm", t("auth.confirm_password", lang), "password")]
        if flask.request.method == "GET":
            return _render(title_key="auth.change_password", action="/account/password", fields=fields,
                           submit_key="auth.save", back=True)
        form = flask.request.form
        if form.get("new", "") != form.get("confirm", ""):
            return _render(title_key="auth.change_password", action="/account/password", fields=fields,
                           submit_key="auth.save", message=t("auth.mismatch", lang), back=True, status=400)
        try:
            accounts.change_password(flask.g.user, form.get("current", ""), form.get("new", ""), client_ip())
        except AccountError as exc:
            return _render(title_key="auth.change_password", action="/account/password", fields=fields,
                           submit_key="auth.save", message=str(exc), back=True, status=400)
        return _render(title_key="auth.change_password", action="/account/password", fields=fields,
                       submit_key="auth.save", message=t("auth.password_changed", lang), message_class="ok",
                       back=True)


def role_label(user: CurrentUser, lang: str) -> str:
    vi, en = ROLE_LABELS[user.role]
    return en if lang == "en" else vi
