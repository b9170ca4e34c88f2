"""Drive the dashboard over HTTP like a browser does: sign in through /login (with its
CSRF token), then POST callbacks to /_dash-update-component with the X-CSRFToken header."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "Matkhau-2025"


def csrf_of(client: FlaskClient) -> str:
    cookie = client.get_cookie("_csrf_token")
    return cookie.value if cookie else ""


def login(server: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    """A test client signed in as ``username``; raises if the sign-in is refused."""
    client = server.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_of(client), "next": "/map"})
    if response.status_code != 302:
        raise AssertionError(f"login of {username} refused: {response.status_code}")
    return client


def call_callback(
    client: FlaskClient,
    outputs: list[tuple[str, str]],
    inputs: list[tuple[str, str, Any]],
    state: list[tuple[str, str, Any]] | None = None,
    *,
    csrf: str | None = None,
    changed: list[str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST one callback request; returns (status code, {component id: {prop: value}})."""
    if len(outputs) == 1:
        output = f"{outputs[0][0]}.{outputs[0][1]}"
        out_spec: Any = {"id": outputs[0][0], "property": outputs[0][1]}
    else:
        output = ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
        out_spec = [{"id": i, "property": p} for i, p in outputs]
    payload = {
        "output": output,
        "outputs": out_spec,
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in (state or [])],
        "changedPropIds": changed if changed is not None else [f"{i}.{p}" for i, p, _ in inputs],
    }
    headers = {"X-CSRFToken": csrf_of(client) if csrf is None else csrf}
    response = client.post("/_dash-update-component", json=payload, headers=headers)
    body = response.get_json(silent=True) or {}
    return response.status_code, body.get("response", {})
