"""Storage of accounts, sessions, login attempts and area scopes.

Contract: plain reads and writes, no policy: password hashing, lockout and idle rules
live in ``dashboard.auth``. Every write goes through ``Warehouse.writer()`` (one
transaction each). Scopes resolve to the set of camera ids a user may see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from analytics.warehouse import Warehouse

SCOPE_KINDS = ("all", "province", "area", "group")


@dataclass(frozen=True, kw_only=True, slots=True)
class UserRecord:
    username: str
    full_name: str
    role: str
    password_hash: str
    active: bool
    password_changed_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class ScopeEntry:
    kind: str  # all | province | area | group
    scope_id: str  # "*" for all; a 2025 province code; an area id; a group id

    def __post_init__(self) -> None:
        if self.kind not in SCOPE_KINDS:
            raise ValueError(f"scope kind must be one of {', '.join(SCOPE_KINDS)}, got {self.kind!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionRecord:
    session_id: str
    username: str
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None


_USER_COLUMNS = "username, full_name, role, password_hash, active, password_changed_at"


def _user(row: tuple) -> UserRecord:  # type: ignore[type-arg]
    return UserRecord(username=row[0], full_name=row[1], role=row[2], password_hash=row[3], active=bool(row[4]),
                      password_changed_at=row[5])


def get_user(warehouse: Warehouse, username: str) -> UserRecord | None:
    with warehouse.reader() as cur:
        row = cur.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?", [username]).fetchone()
    return _user(row) if row else None


def list_users(warehouse: Warehouse) -> list[UserRecord]:
    with warehouse.reader() as cur:
        rows = cur.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username").fetchall()
    return [_user(r) for r in rows]


def count_users(warehouse: Warehouse, role: str | None = None) -> int:
    with warehouse.reader() as cur:
        if role is None:
            row = cur.execute("SELECT count(*) FROM users").fetchone()
        else:
            row = cur.execute("SELECT count(*) FROM users WHERE role = ?", [role]).fetchone()
    return int(row[0]) if row else 0


def save_user(warehouse: Warehouse, user: UserRecord, scopes: Iterable[ScopeEntry] | None, *,
              now: datetime) -> None:
    """Insert or replace a user; ``scopes`` None keeps the stored scopes."""
    with warehouse.writer() as cur:
        created = cur.execute("SELECT created_at FROM users WHERE username = ?", [user.username]).fetchone()
        cur.execute("INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [user.username, user.full_name, user.role, user.password_hash, user.active,
                     created[0] if created else now, user.password_changed_at])
        if scopes is not None:
            cur.execute("DELETE FROM user_scopes WHERE username = ?", [user.username])
            for scope in scopes:
                cur.execute("INSERT INTO user_scopes VALUES (?, ?, ?)", [user.username, scope.kind, scope.scope_id])


def user_scopes(warehouse: Warehouse, username: str) -> list[ScopeEntry]:
    with warehouse.reader() as cur:
        rows = cur.execute("SELECT scope_kind, scope_id FROM user_scopes WHERE username = ? ORDER BY ALL",
                           [username]).fetchall()
    return [ScopeEntry(kind=r[0], scope_id=r[1]) for r in rows]


def scope_camera_ids(warehouse: Warehouse, username: str) -> frozenset[str] | None:
    """Cameras the user may see; None means every camera (scope 'all')."""
    with warehouse.reader() as cur:
        if cur.execute("SELECT 1 FROM user_scopes WHERE username = ? AND scope_kind = 'all'", [username]).fetchone():
            return None
        rows = cur.execute(
            """
            SELECT c.camera_id FROM cameras c
            WHERE EXISTS (
                SELECT 1 FROM user_scopes s WHERE s.username = ? AND (
                    (s.scope_kind = 'province' AND c.province_code_2025 = s.scope_id)
                 OR (s.scope_kind = 'area' AND c.site_id IN (SELECT site_id FROM site_areas WHERE area_id = s.scope_id))
                 OR (s.scope_kind = 'group' AND c.camera_id IN
                        (SELECT camera_id FROM camera_group_members WHERE group_id = s.scope_id))))
            """,
            [username],
        ).fetchall()
    return frozenset(r[0] for r in rows)


def scope_exists(warehouse: Warehouse, scope: ScopeEntry) -> bool:
    sql = {
        "all": "SELECT ? = '*'",
        "province": "SELECT count(*) > 0 FROM cameras WHERE province_code_2025 = ?",
        "area": "SELECT count(*) > 0 FROM areas WHERE area_id = ?",
        "group": "SELECT count(*) > 0 FROM camera_groups WHERE group_id = ?",
    }[scope.kind]
    with warehouse.reader() as cur:
        row = cur.execute(sql, [scope.scope_id]).fetchone()
    return bool(row and row[0])


def record_attempt(warehouse: Warehouse, *, username: str, client_ip: str, success: bool, at: datetime) -> None:
    with warehouse.writer() as cur:
        cur.execute("INSERT INTO login_attempts VALUES (?, ?, ?, ?)", [at, username, client_ip, success])


def recent_failures(warehouse: Warehouse, *, since: datetime, username: str | None = None,
                    client_ip: str | None = None) -> int:
    """Failed attempts since ``since`` (and since the last success of that user)."""
    with warehouse.reader() as cur:
        if username is not None:
            row = cur.execute(
                """SELECT count(*) FROM login_attempts WHERE username = ? AND NOT success AND attempted_at >= ?
                   AND attempted_at > coalesce((SELECT max(attempted_at) FROM login_attempts
                                                WHERE username = ? AND success), '-infinity'::TIMESTAMPTZ)""",
                [username, since, username],
            ).fetchone()
        else:
            row = cur.execute(
                "SELECT count(*) FROM login_attempts WHERE client_ip = ? AND NOT success AND attempted_at >= ?",
                [client_ip, since],
            ).fetchone()
    return int(row[0]) if row else 0


def start_session(warehouse: Warehouse, *, session_id: str, username: str, at: datetime) -> None:
    with warehouse.writer() as cur:
        cur.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, NULL, NULL)", [session_id, username, at, at])


def get_session(warehouse: Warehouse, session_id: str) -> SessionRecord | None:
    with warehouse.reader() as cur:
        row = cur.execute(
            "SELECT session_id, username, created_at, last_seen_at, ended_at FROM sessions WHERE session_id = ?",
            [session_id],
        ).fetchone()
    if row is None:
        return None
    return SessionRecord(session_id=row[0], username=row[1], created_at=row[2], last_seen_at=row[3], ended_at=row[4])


def touch_session(warehouse: Warehouse, session_id: str, at: datetime) -> None:
    with warehouse.writer() as cur:
        cur.execute("UPDATE sessions SET last_seen_at = ? WHERE session_id = ?", [at, session_id])


def end_sessions(warehouse: Warehouse, *, at: datetime, reason: str, session_id: str | None = None,
                 username: str | None = None, keep: str | None = None) -> None:
    """End one session, or every open session of ``username`` except ``keep``."""
    with warehouse.writer() as cur:
        if session_id is not None:
            cur.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE session_id = ? AND ended_at IS NULL",
                        [at, reason, session_id])
        elif username is not None:
            cur.execute(
                "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE username = ? AND ended_at IS NULL "
                "AND session_id <> coalesce(?, '')",
                [at, reason, username, keep],
            )


def scope_choices(warehouse: Warehouse) -> list[tuple[str, str, str]]:
    """Every scope a user can be given: (kind, id, Vietnamese label)."""
    with warehouse.reader() as cur:
        provinces = cur.execute("SELECT DISTINCT province_code_2025 FROM cameras ORDER BY 1").fetchall()
        areas = cur.execute("SELECT area_id, name FROM areas ORDER BY area_id").fetchall()
        groups = cur.execute("SELECT group_id, name FROM camera_groups ORDER BY group_id").fetchall()
    return ([("all", "*", "Toàn bộ")] + [("province", p, f"Tỉnh mã {p}") for (p,) in provinces]
            + [("area", a, f"Khu vực {a} – {n}") for a, n in areas]
            + [("group", g, f"Nhóm {g} – {n}") for g, n in groups])
