"""Append-only audit trail with a SHA-256 hash chain.

Contract: ``append`` adds one entry in the warehouse's write transaction; its ``hash`` is
SHA-256 over the previous entry's hash and the entry's canonical JSON (seq, time, actor,
action, target, detail, client ip). ``verify`` recomputes the chain and reports the first
entry whose stored hash or link does not match, so editing, deleting or reordering any
stored row is detected. Nothing here updates or deletes audit rows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from analytics.warehouse import Warehouse

GENESIS = "0" * 64


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEvent:
    """What happened, by whom, to what. ``detail`` must be JSON-serialisable."""

    actor: str
    action: str
    target: str = ""
    detail: dict[str, Any] | None = None
    client_ip: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditVerification:
    entries: int
    ok: bool
    first_bad_seq: int | None = None
    reason: str = ""


def _canonical(seq: int, at: datetime, event: AuditEvent, detail_json: str) -> str:
    return json.dumps(
        [seq, at.astimezone(UTC).isoformat(timespec="microseconds"), event.actor, event.action, event.target,
         detail_json, event.client_ip],
        ensure_ascii=False, separators=(",", ":"),
    )


def _digest(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical).encode("utf-8")).hexdigest()


def append(warehouse: Warehouse, event: AuditEvent, *, at: datetime | None = None) -> int:
    """Append ``event`` in its own transaction; returns its sequence number."""
    with warehouse.writer() as cur:
        return append_in(cur, event, at=at)


def append_in(cur: duckdb.DuckDBPyConnection, event: AuditEvent, *, at: datetime | None = None) -> int:
    """Append ``event`` inside the caller's open write transaction (``Warehouse.writer()``), so
    a change and its audit entry are committed or rolled back together."""
    when = (at or datetime.now(UTC)).astimezone(UTC)
    detail_json = json.dumps(event.detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                             default=str)
    last = cur.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
    digest = _digest(prev, _canonical(seq, when, event, detail_json))
    cur.execute(
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, when, event.actor, event.action, event.target, detail_json, event.client_ip, prev, digest],
    )
    return seq


def verify(cur: duckdb.DuckDBPyConnection) -> AuditVerification:
    """Recompute the whole chain."""
    rows = cur.execute(
        "SELECT seq, logged_at, actor, action, target, detail, client_ip, prev_hash, hash FROM audit_log ORDER BY seq"
    ).fetchall()
    prev = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        seq, at, actor, action, target, detail, ip, prev_hash, stored = row
        if seq != expected_seq:
            return AuditVerification(entries=len(rows), ok=False, first_bad_seq=int(seq),
                                     reason=f"sequence gap: expected {expected_seq}, found {seq}")
        if prev_hash != prev:
            return AuditVerification(entries=len(rows), ok=False, first_bad_seq=int(seq),
                                     reason="link to the previous entry is broken")
        event = AuditEvent(actor=actor, action=action, target=target, client_ip=ip)
        if _digest(prev, _canonical(int(seq), at, event, detail)) != stored:
            return AuditVerification(entries=len(rows), ok=False, first_bad_seq=int(seq),
                                     reason="entry content does not match its hash")
        prev = stored
    return AuditVerification(entries=len(rows), ok=True)
