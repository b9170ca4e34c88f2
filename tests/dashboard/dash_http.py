"""Invoke Dash callbacks the way the browser does: a POST to /_dash-update-component."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


def call_callback(
    client: FlaskClient,
    outputs: list[tuple[str, str]],
    inputs: list[tuple[str, str, Any]],
    state: list[tuple[str, str, Any]] | None = None,
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
        "changedPropIds": [f"{i}.{p}" for i, p, _ in inputs],
    }
    response = client.post("/_dash-update-component", json=payload)
    body = response.get_json(silent=True) or {}
    return response.status_code, body.get("response", {})
