"""The phạt nguội review workflow: officers verify or reject detected violations and
correct plates; a supervisor approves or returns what an officer verified.

States (``violations.workflow_state``): detected → verified | rejected (officer) →
approved (supervisor) → notice_sent → resolved | published (the notice steps come later).

Contract: ``apply(warehouse, request)`` runs one action in one write transaction: it
re-reads the violation, refuses an action that does not fit its current state (or a
state the caller did not see: another user acted first), validates the plate and the
reason, updates the violation, appends a ``violation_actions`` row and an audit-chain
entry together, and returns the new state. Anything refused raises ``ReviewError`` and
writes nothing. Who may act (roles, scopes) is the caller's check; the four-eyes rule
(the approver is not the officer who verified) is enforced here because it is about the
record, not the role.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from analytics import audit
from analytics.plate_format import normalise_plate
from analytics.warehouse import Warehouse

NOTE_MAX_CHARS = 500
NOTICE_DUE_DAYS = 10  # the notice must be sent within 10 days of detection


class State(str, enum.Enum):
    DETECTED = "detected"
    VERIFIED = "verified"
    REJECTED = "rejected"
    APPROVED = "approved"
    NOTICE_SENT = "notice_sent"
    RESOLVED = "resolved"
    PUBLISHED = "published"


class Action(str, enum.Enum):
    CORRECT_PLATE = "correct_plate"
    VERIFY = "verify"
    REJECT = "reject"
    APPROVE = "approve"
    RETURN = "return"


class RejectReason(str, enum.Enum):
    NOT_A_VIOLATION = "not_a_violation"  # the rule fired but the footage shows no violation
    PLATE_UNREADABLE = "plate_unreadable"
    PRIORITY_VEHICLE = "priority_vehicle"  # ambulance, fire, police on duty
    DUPLICATE = "duplicate"
    CAMERA_FAULT = "camera_fault"  # wrong signal state, shifted view, clock error
    OTHER = "other"  # needs a note


# action → (states it may start from, state it leads to; None = unchanged)
TRANSITIONS: dict[Action, tuple[frozenset[State], State | None]] = {
    Action.CORRECT_PLATE: (frozenset({State.DETECTED}), None),
    Action.VERIFY: (frozenset({State.DETECTED}), State.VERIFIED),
    Action.REJECT: (frozenset({State.DETECTED, State.VERIFIED}), State.REJECTED),
    Action.APPROVE: (frozenset({State.VERIFIED}), State.APPROVED),
    Action.RETURN: (frozenset({State.VERIFIED}), State.DETECTED),
}


class ReviewError(ValueError):
    """The action was refused; ``code`` names why (for the UI's translated message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, kw_only=True, slots=True)
class ReviewRequest:
    violation_id: str
    action: Action
    actor: str
    seen_state: str  # the state the user was looking at; a different current state is refused
    plate: str | None = None  # correct_plate: the new plate; verify: optional confirmation
    reason: RejectReason | None = None  # reject and return
    note: str = ""
    client_ip: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class ReviewOutcome:
    violation_id: str
    from_state: State
    to_state: State
    plate: str | None  # the plate that now stands (officer's or the confident read)
    audit_seq: int


def clean_note(text: str | None) -> str:
    """Trim, drop control characters, cap the length. Markup is kept as text: pages show it
    as text, never as HTML."""
    kept = "".join(ch for ch in (text or "") if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return kept.strip()[:NOTE_MAX_CHARS]


def officer_plate(text: str | None) -> str:
    """The canonical form of a plate an officer typed, or ``ReviewError`` if it is not a
    valid Vietnamese plate."""
    plate = normalise_plate([text or ""]) if text and len(text) <= 20 else None
    if plate is None:
        raise ReviewError("plate_invalid", "Biển số không đúng định dạng (ví dụ 68A-123.45 hoặc 17-B1 234.56).")
    return plate


def _current(cur: duckdb.DuckDBPyConnection, violation_id: str) -> tuple[State, str | None, bool, str | None,
                                                                          str | None]:
    row = cur.execute("SELECT workflow_state, plate_text, plate_needs_review, plate_confirmed, verified_by "
                      "FROM violations WHERE violation_id = ?", [violation_id]).fetchone()
    if row is None:
        raise ReviewError("not_found", "Không tìm thấy vi phạm.")
    try:
        state = State(row[0])
    except ValueError as exc:
        raise ReviewError("bad_state", f"Trạng thái không hợp lệ: {row[0]}") from exc
    return state, row[1], bool(row[2]), row[3], row[4]


def apply(warehouse: Warehouse, request: ReviewRequest, *, at: datetime | None = None) -> ReviewOutcome:
    when = (at or datetime.now(UTC)).astimezone(UTC)
    note = clean_note(request.note)
    with warehouse.writer() as cur:
        state, read_plate, needs_review, confirmed, verified_by = _current(cur, request.violation_id)
        if state.value != request.seen_state:
            raise ReviewError("stale", "Vi phạm vừa được người khác xử lý; hãy tải lại.")
        starts, target = TRANSITIONS[request.action]
        if state not in starts:
            raise ReviewError("wrong_state", f"Không thể '{request.action.value}' khi vi phạm đang '{state.value}'.")
        standing = confirmed or (None if needs_review else read_plate)
        new_plate = standing
        if request.action is Action.CORRECT_PLATE or (request.action is Action.VERIFY and request.plate):
            new_plate = officer_plate(request.plate)
        if request.action is Action.VERIFY and new_plate is None:
            raise ReviewError("plate_required", "Biển số cần được cán bộ xác nhận trước khi xác minh vi phạm.")
        if request.action in (Action.REJECT, Action.RETURN):
            if request.reason is None:
                raise ReviewError("reason_required", "Cần chọn lý do.")
            if request.reason is RejectReason.OTHER and not note:
                raise ReviewError("note_required", "Lý do 'khác' cần ghi chú.")
        if request.action is Action.APPROVE and verified_by == request.actor:
            raise ReviewError("four_eyes", "Người xác minh không được tự phê duyệt vi phạm của mình.")
        to_state = target or state
        cur.execute(
            "UPDATE violations SET workflow_state = ?, plate_confirmed = ?, decided_at = ?,"
            " verified_by = CASE WHEN ? THEN ? WHEN ? THEN NULL ELSE verified_by END WHERE violation_id = ?",
            [to_state.value, new_plate if request.action in (Action.CORRECT_PLATE, Action.VERIFY) else confirmed, when,
             request.action is Action.VERIFY, request.actor, request.action is Action.RETURN,
             request.violation_id])
        seq_row = cur.execute("SELECT coalesce(max(action_seq), 0) + 1 FROM violation_actions").fetchone()
        cur.execute(
            "INSERT INTO violation_actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [int(seq_row[0]) if seq_row else 1, request.violation_id, request.action.value, state.value,
             to_state.value, standing, new_plate, request.reason.value if request.reason else None, note or None,
             request.actor, when])
        audit_seq = audit.append_in(cur, audit.AuditEvent(
            actor=request.actor, action=f"violation_{request.action.value}", target=request.violation_id,
            client_ip=request.client_ip,
            detail={"from": state.value, "to": to_state.value, "plate_before": standing, "plate_after": new_plate,
                    "reason": request.reason.value if request.reason else None, "note": note or None},
        ), at=when)
    return ReviewOutcome(violation_id=request.violation_id, from_state=state, to_state=to_state, plate=new_plate,
                         audit_seq=audit_seq)
