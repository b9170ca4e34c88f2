"""Read queries over the warehouse. Each takes a cursor from ``Warehouse.reader()`` and
returns a pandas DataFrame (or a small plain value); all user input goes through bound
parameters, never into the SQL text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import duckdb
import pandas as pd

Edition = Literal["2008", "2025"]

_LATEST_CHECK = """
    SELECT camera_id,
           arg_max(status, checked_at) AS status,
           max(checked_at) AS last_checked_at
    FROM camera_checks
    GROUP BY camera_id
"""


def _province_column(edition: Edition) -> str:
    if edition not in ("2008", "2025"):
        raise ValueError(f"unknown boundary edition {edition!r}")
    return "province_code" if edition == "2008" else "province_code_2025"


def camera_map(
    cur: duckdb.DuckDBPyConnection,
    *,
    edition: Edition = "2025",
    provinces: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    allowed: frozenset[str] | None,
) -> pd.DataFrame:
    """Cameras to draw on the map with their latest health status.

    ``allowed`` is the caller's scope (camera ids; None = every camera) and is required so
    no caller can forget it. ``provinces`` are codes of the given boundary edition; None
    means all, an empty sequence means none. Columns: camera_id, name, kind, site_id, site_name, lon, lat,
    heading_deg, province (code in the edition), status ('unknown' when never
    checked), last_checked_at (UTC), location_quality, source.
    """
    column = _province_column(edition)
    where: list[str] = []
    params: list[object] = []
    if provinces is not None:
        where.append(f"c.{column} IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(provinces))
    if kinds is not None:
        where.append("c.kind IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(kinds))
    if allowed is not None:
        where.append("c.camera_id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(sorted(allowed))
    sql = f"""
        SELECT c.camera_id, c.name, c.kind, c.site_id, s.name AS site_name, c.lon, c.lat,
               c.heading_deg, c.{column} AS province,
               coalesce(h.status, 'unknown') AS status, h.last_checked_at,
               c.location_quality, c.source
        FROM cameras c
        LEFT JOIN sites s USING (site_id)
        LEFT JOIN ({_LATEST_CHECK}) h USING (camera_id)
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY c.camera_id
    """
    return cur.execute(sql, params).df()


def camera_detail(cur: duckdb.DuckDBPyConnection, camera_id: str) -> pd.DataFrame:
    """Every stored field of one camera plus site name and latest status (0 or 1 row)."""
    sql = f"""
        SELECT c.*, s.name AS site_name, s.kind AS site_kind,
               coalesce(h.status, 'unknown') AS status, h.last_checked_at
        FROM cameras c
        LEFT JOIN sites s USING (site_id)
        LEFT JOIN ({_LATEST_CHECK}) h USING (camera_id)
        WHERE c.camera_id = ?
    """
    return cur.execute(sql, [camera_id]).df()


def sites(cur: duckdb.DuckDBPyConnection, *, edition: Edition = "2025",
          allowed: frozenset[str] | None) -> pd.DataFrame:
    """Sites with their camera count; with a scope (``allowed`` camera ids), only sites
    holding an allowed camera, counting only those. Columns: site_id, name, kind,
    province, lon, lat, location_quality, cameras."""
    column = _province_column(edition)
    scoped = allowed is not None
    sql = f"""
        SELECT s.site_id, s.name, s.kind, s.{column} AS province, s.lon, s.lat,
               s.location_quality, count(c.camera_id) AS cameras
        FROM sites s LEFT JOIN cameras c
          ON c.site_id = s.site_id {"AND c.camera_id IN (SELECT unnest(?::VARCHAR[]))" if scoped else ""}
        GROUP BY ALL
        {"HAVING count(c.camera_id) > 0" if scoped else ""}
        ORDER BY s.site_id
    """
    return cur.execute(sql, [sorted(allowed)] if scoped else []).df()


def cameras_table(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The cameras table as stored (for export)."""
    return cur.execute("SELECT * FROM cameras ORDER BY camera_id").df()


def sites_table(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The sites table as stored (for export)."""
    return cur.execute("SELECT * FROM sites ORDER BY site_id").df()


def site_ids(cur: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in cur.execute("SELECT site_id FROM sites").fetchall()}


def table_counts(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every user table (for status lines and tests)."""
    names = [r[0] for r in cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name"
    ).fetchall()]
    return {name: int(cur.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}


def violation_evidence(cur: duckdb.DuckDBPyConnection, violation_id: str) -> tuple[str, str | None] | None:
    """(camera_id, evidence_path) of one violation, or None if it does not exist."""
    row = cur.execute("SELECT camera_id, evidence_path FROM violations WHERE violation_id = ?",
                      [violation_id]).fetchone()
    return (str(row[0]), row[1]) if row else None


def pipeline_runs(cur: duckdb.DuckDBPyConnection, *, allowed: frozenset[str] | None, status: str | None = None,
                  limit: int = 500) -> pd.DataFrame:
    """Latest pipeline runs (newest first) of the cameras in ``allowed`` (None = all), with
    violations found per run; ``status`` filters (ok, partial, failed, or 'warnings')."""
    where, params = ["1=1"], []
    if allowed is not None:
        if not allowed:
            return pd.DataFrame(columns=["run_id", "camera_id", "segment_start", "status", "detector", "frames_read",
                                         "frames_detected", "fps", "warnings", "errors", "violations"])
        where.append("r.camera_id IN (SELECT unnest(?))")
        params.append(sorted(allowed))
    if status == "warnings":
        where.append("len(r.warnings) > 0")
    elif status:
        where.append("r.status = ?")
        params.append(status)
    params.append(limit)
    return cur.execute(f"""
        SELECT r.run_id, r.camera_id, r.segment_start, r.status, r.detector, r.frames_read, r.frames_detected,
               r.fps, r.warnings, r.errors, count(v.violation_id) AS violations
        FROM pipeline_runs r LEFT JOIN violations v ON v.run_id = r.run_id
        WHERE {' AND '.join(where)}
        GROUP BY ALL ORDER BY r.segment_start DESC, r.camera_id LIMIT ?""", params).df()


REVIEW_COLUMNS = ["violation_id", "camera_id", "camera_name", "violation_type", "occurred_at", "vehicle_class",
                  "plate_text", "plate_confidence", "plate_needs_review", "plate_confirmed", "speed_kmh",
                  "workflow_state", "verified_by", "evidence_path", "finding"]


_REVIEW_SELECT = """
    SELECT v.violation_id, v.camera_id, coalesce(c.name, v.camera_id) AS camera_name, v.violation_type,
           v.occurred_at, v.vehicle_class, v.plate_text, v.plate_confidence, v.plate_needs_review,
           v.plate_confirmed, v.speed_kmh, v.workflow_state, v.verified_by, v.evidence_path, v.finding
    FROM violations v LEFT JOIN cameras c USING (camera_id)"""


def review_queue(cur: duckdb.DuckDBPyConnection, *, allowed: frozenset[str] | None, states: Sequence[str],
                 violation_type: str | None = None, limit: int = 500) -> pd.DataFrame:
    """Violations of the cameras in ``allowed`` (None = all) in ``states``, oldest first — the
    phạt nguội clock runs from detection, so the oldest is the most urgent."""
    where, params = ["v.workflow_state IN (SELECT unnest(?))"], [list(states)]
    if allowed is not None:
        if not allowed:
            return pd.DataFrame(columns=REVIEW_COLUMNS)
        where.append("v.camera_id IN (SELECT unnest(?))")
        params.append(sorted(allowed))
    if violation_type:
        where.append("v.violation_type = ?")
        params.append(violation_type)
    params.append(limit)
    return cur.execute(f"""{_REVIEW_SELECT}
        WHERE {' AND '.join(where)}
        ORDER BY v.occurred_at, v.violation_id LIMIT ?""", params).df()


def violation_review(cur: duckdb.DuckDBPyConnection, violation_id: str) -> pd.DataFrame:
    """One violation with the columns of ``review_queue`` (empty frame if unknown)."""
    return cur.execute(f"{_REVIEW_SELECT} WHERE v.violation_id = ?", [violation_id]).df()


def violation_actions(cur: duckdb.DuckDBPyConnection, violation_id: str) -> pd.DataFrame:
    """The workflow history of one violation, oldest first."""
    return cur.execute("""
        SELECT action_seq, action, from_state, to_state, plate_before, plate_after, reason_code, note, actor, acted_at
        FROM violation_actions WHERE violation_id = ? ORDER BY action_seq""", [violation_id]).df()
