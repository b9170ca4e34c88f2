"""The phạt nguội review workflow on a real DuckDB file: transitions, plate correction,
reasons, stale views, the four-eyes rule, history rows and the audit chain — and that a
refused action writes nothing and re-processing never undoes an officer's decision."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analytics import audit, queries, review
from analytics.review import Action, RejectReason, ReviewError, ReviewRequest
from analytics.warehouse import Warehouse
from tests.analytics import builders

AT = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def request(action: Action, seen: str, actor: str = "officer", **over: object) -> ReviewRequest:
    return ReviewRequest(violation_id="V1", action=action, actor=actor, seen_state=seen, **over)  # type: ignore[arg-type]


def row(warehouse: Warehouse) -> tuple:  # type: ignore[type-arg]
    with warehouse.reader() as cur:
        return cur.execute("SELECT workflow_state, plate_text, plate_confirmed, verified_by FROM violations "
                           "WHERE violation_id = 'V1'").fetchone()


def counts(warehouse: Warehouse) -> tuple[int, int]:
    with warehouse.reader() as cur:
        actions = cur.execute("SELECT count(*) FROM violation_actions").fetchone()[0]
        entries = cur.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    return int(actions), int(entries)


def test_verify_then_approve_by_another_person(warehouse: Warehouse) -> None:
    warehouse.upsert([builders.violation()])
    out = review.apply(warehouse, request(Action.VERIFY, "detected"), at=AT)
    assert (out.from_state.value, out.to_state.value, out.plate) == ("detected", "verified", "68-B1 234.56")
    assert row(warehouse) == ("verified", "68-B1 234.56", "68-B1 234.56", "officer")
    with pytest.raises(ReviewError) as refused:
        review.apply(warehouse, request(Action.APPROVE, "verified", actor="officer"), at=AT)
    assert refused.value.code == "four_eyes"
    review.apply(warehouse, request(Action.APPROVE, "verified", actor="supervisor"), at=AT)
    assert row(warehouse)[0] == "approved"
    with warehouse.reader() as cur:
        history = queries.violation_actions(cur, "V1")
        chain = audit.verify(cur)
        logged = cur.execute("SELECT actor, action, target FROM audit_log ORDER BY seq").fetchall()
    assert list(history["action"]) == ["verify", "approve"]
    assert list(history["actor"]) == ["officer", "supervisor"]
    assert logged == [("officer", "violation_verify", "V1"), ("supervisor", "violation_approve", "V1")]
    assert chain.ok and chain.entries == 2


def test_an_uncertain_plate_must_be_confirmed_and_bad_plates_are_refused(warehouse: Warehouse) -> None:
    warehouse.upsert([builders.violation(plate_text="68A-12", plate_needs_review=True, plate_confidence=0.4)])
    for attempt, code in ((request(Action.VERIFY, "detected"), "plate_required"),
                          (request(Action.CORRECT_PLATE, "detected", plate="<script>alert(1)</script>"), "plate_invalid"),
                          (request(Action.CORRECT_PLATE, "detected", plate="68A-12"), "plate_invalid"),
                          (request(Action.CORRECT_PLATE, "detected", plate="6" * 40), "plate_invalid")):
        with pytest.raises(ReviewError) as refused:
            review.apply(warehouse, attempt, at=AT)
        assert refused.value.code == code
    assert counts(warehouse) == (0, 0)  # refusals write nothing
    assert row(warehouse) == ("detected", "68A-12", None, None)
    out = review.apply(warehouse, request(Action.CORRECT_PLATE, "detected", plate="68a 12345"), at=AT)
    assert out.plate == "68A-123.45" and out.to_state.value == "detected"
    review.apply(warehouse, request(Action.VERIFY, "detected"), at=AT)
    assert row(warehouse) == ("verified", "68A-12", "68A-123.45", "officer")
    with warehouse.reader() as cur:
        history = queries.violation_actions(cur, "V1")
        detail = cur.execute("SELECT detail FROM audit_log WHERE action = 'violation_correct_plate'").fetchone()[0]
    assert history["plate_before"].isna()[0] and history.loc[0, "plate_after"] == "68A-123.45"
    assert '"plate_after":"68A-123.45"' in detail


def test_rejection_needs_a_reason_and_keeps_the_note_as_text(warehouse: Warehouse) -> None:
    warehouse.upsert([builders.violation()])
    with pytest.raises(ReviewError, match="lý do") as refused:
        review.apply(warehouse, request(Action.REJECT, "detected"), at=AT)
    assert refused.value.code == "reason_required"
    with pytest.raises(ReviewError) as refused:
        review.apply(warehouse, request(Action.REJECT, "detected", reason=RejectReason.OTHER, note="  \x00 "), at=AT)
    assert refused.value.code == "note_required"
    note = "<img src=x onerror=alert(1)>\x07 xe cứu thương" + "!" * 600
    review.apply(warehouse, request(Action.REJECT, "detected", reason=RejectReason.OTHER, note=note), at=AT)
    with warehouse.reader() as cur:
        stored = cur.execute("SELECT note, reason_code FROM violation_actions").fetchone()
    assert stored[0].startswith("<img src=x onerror=alert(1)> xe cứu thương")  # control char gone, markup kept
    assert len(stored[0]) == review.NOTE_MAX_CHARS and stored[1] == "other"
    assert row(warehouse)[0] == "rejected"


def test_stale_views_and_wrong_states_are_refused(warehouse: Warehouse) -> None:
    warehouse.upsert([builders.violation()])
    review.apply(warehouse, request(Action.VERIFY, "detected"), at=AT)
    for attempt, code in ((request(Action.VERIFY, "detected", actor="other"), "stale"),
                          (request(Action.CORRECT_PLATE, "verified", plate="68A-123.45"), "wrong_state"),
                          (ReviewRequest(violation_id="nope", action=Action.VERIFY, actor="x", seen_state="detected"),
                           "not_found")):
        with pytest.raises(ReviewError) as refused:
            review.apply(warehouse, attempt, at=AT)
        assert refused.value.code == code
    review.apply(warehouse, request(Action.RETURN, "verified", actor="supervisor",
                                    reason=RejectReason.PLATE_UNREADABLE), at=AT)
    assert row(warehouse) == ("detected", "68-B1 234.56", "68-B1 234.56", None)


def test_reprocessing_keeps_the_officers_decision(warehouse: Warehouse) -> None:
    warehouse.upsert([builders.violation(plate_needs_review=True)])
    review.apply(warehouse, request(Action.VERIFY, "detected", plate="68-B1 234.57"), at=AT)
    warehouse.upsert([builders.violation(plate_text="68-B1 234.00", plate_needs_review=True)])  # same segment again
    assert row(warehouse) == ("verified", "68-B1 234.00", "68-B1 234.57", "officer")


def test_review_queue_is_scoped_and_oldest_first(warehouse: Warehouse) -> None:
    warehouse.upsert([builders.violation(violation_id="A", camera_id="C1", occurred_at=datetime(2026, 1, 2, tzinfo=UTC)),
                      builders.violation(violation_id="B", camera_id="C1", occurred_at=datetime(2026, 1, 1, tzinfo=UTC)),
                      builders.violation(violation_id="C", camera_id="C2")])
    with warehouse.reader() as cur:
        mine = queries.review_queue(cur, allowed=frozenset({"C1"}), states=["detected"])
        none = queries.review_queue(cur, allowed=frozenset(), states=["detected"])
        injected = queries.review_queue(cur, allowed=None, states=["detected"], violation_type="x' OR '1'='1")
    assert list(mine["violation_id"]) == ["B", "A"]
    assert none.empty and injected.empty
