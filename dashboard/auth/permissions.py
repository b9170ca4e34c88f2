"""The permission matrix: which role may do what. ``docs/permissions.md`` is generated
from this table (``cli.py users matrix``) and the tests are generated from it too, so code,
documentation and tests cannot drift apart.

Contract: ``allowed(role, permission)`` is the only question asked; ``MATRIX`` is read-only.
"""

from __future__ import annotations

import enum
from types import MappingProxyType


class Role(str, enum.Enum):
    LEADER = "leader"  # lãnh đạo: aggregates only, no personal data
    PLANNER = "planner"  # kế hoạch/quy hoạch: analytics and aggregate exports
    COMMANDER = "commander"  # chỉ huy: live operations, evidence of their area
    DUTY_OFFICER = "duty_officer"  # trực ban: live operations, evidence of their area
    ENFORCEMENT_OFFICER = "enforcement_officer"  # cán bộ xử lý phạt nguội: review workflow
    SUPERVISOR = "supervisor"  # cấp phê duyệt
    ADMIN = "admin"  # quản trị: users, cameras, config, audit


class Permission(str, enum.Enum):
    VIEW_MAP = "view_map"  # camera map and registry (locations are not personal data)
    VIEW_AGGREGATES = "view_aggregates"  # counts, trends, hotspots
    EXPORT_AGGREGATES = "export_aggregates"
    VIEW_LIVE_OPERATIONS = "view_live_operations"  # camera wall, outages, alerts
    VIEW_EVIDENCE = "view_evidence"  # evidence files (masked without VIEW_PERSONAL_DATA)
    VIEW_PERSONAL_DATA = "view_personal_data"  # plates and faces unmasked
    DOWNLOAD_EVIDENCE = "download_evidence"
    REVIEW_VIOLATIONS = "review_violations"  # verify / reject, correct plates
    APPROVE_VIOLATIONS = "approve_violations"
    MANAGE_USERS = "manage_users"
    MANAGE_CAMERAS = "manage_cameras"
    VIEW_AUDIT = "view_audit"


R, P = Role, Permission
_GRANTS: dict[Role, frozenset[Permission]] = {
    R.LEADER: frozenset({P.VIEW_MAP, P.VIEW_AGGREGATES}),
    R.PLANNER: frozenset({P.VIEW_MAP, P.VIEW_AGGREGATES, P.EXPORT_AGGREGATES}),
    R.COMMANDER: frozenset({P.VIEW_MAP, P.VIEW_AGGREGATES, P.VIEW_LIVE_OPERATIONS, P.VIEW_EVIDENCE,
                            P.VIEW_PERSONAL_DATA}),
    R.DUTY_OFFICER: frozenset({P.VIEW_MAP, P.VIEW_LIVE_OPERATIONS, P.VIEW_EVIDENCE, P.VIEW_PERSONAL_DATA}),
    R.ENFORCEMENT_OFFICER: frozenset({P.VIEW_MAP, P.VIEW_EVIDENCE, P.VIEW_PERSONAL_DATA, P.DOWNLOAD_EVIDENCE,
                                      P.REVIEW_VIOLATIONS}),
    R.SUPERVISOR: frozenset({P.VIEW_MAP, P.VIEW_AGGREGATES, P.VIEW_EVIDENCE, P.VIEW_PERSONAL_DATA,
                             P.DOWNLOAD_EVIDENCE, P.REVIEW_VIOLATIONS, P.APPROVE_VIOLATIONS}),
    R.ADMIN: frozenset({P.VIEW_MAP, P.VIEW_AGGREGATES, P.EXPORT_AGGREGATES, P.VIEW_LIVE_OPERATIONS,
                        P.MANAGE_USERS, P.MANAGE_CAMERAS, P.VIEW_AUDIT, P.VIEW_EVIDENCE}),
}
MATRIX: MappingProxyType[Role, frozenset[Permission]] = MappingProxyType(_GRANTS)

ROLE_LABELS: MappingProxyType[Role, tuple[str, str]] = MappingProxyType({
    R.LEADER: ("Lãnh đạo", "Leader"),
    R.PLANNER: ("Kế hoạch – quy hoạch", "Planner"),
    R.COMMANDER: ("Chỉ huy", "Commander"),
    R.DUTY_OFFICER: ("Trực ban", "Duty officer"),
    R.ENFORCEMENT_OFFICER: ("Cán bộ xử lý vi phạm", "Enforcement officer"),
    R.SUPERVISOR: ("Cấp phê duyệt", "Supervisor / approver"),
    R.ADMIN: ("Quản trị hệ thống", "Administrator"),
})


def allowed(role: Role | str, permission: Permission) -> bool:
    try:
        return permission in MATRIX[Role(role)]
    except ValueError:
        return False


def matrix_markdown() -> str:
    """The matrix as a Markdown table (docs/permissions.md)."""
    roles = list(Role)
    lines = ["| quyền / permission | " + " | ".join(r.value for r in roles) + " |",
             "|---|" + "---|" * len(roles)]
    for perm in Permission:
        lines.append(f"| `{perm.value}` | " + " | ".join("✔" if allowed(r, perm) else "—" for r in roles) + " |")
    return "\n".join(lines)
