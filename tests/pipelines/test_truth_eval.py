"""Scoring against the simulator's truth: which events a camera can judge at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics.records import Violation, ViolationType
from pipelines.truth_eval import TrackLog, score, observable
from simulator.render import Box, visible_fractions

TRUTH = {"fps": 25.0, "frames": 1000}


def vehicle(visible: float, frames: range) -> dict:
    return {"samples": [[i, 10, 10, 50, 50, 20.0, 0.0, visible] for i in frames]}


def test_a_vehicle_hidden_for_the_whole_event_cannot_be_judged() -> None:
    event = {"start_frame": 100, "end_frame": 400}
    assert observable(TRUTH, event, vehicle(0.9, range(0, 500)))
    assert not observable(TRUTH, event, vehicle(0.1, range(0, 500)))  # behind a bus all along
    seen_before = {"samples": vehicle(0.9, range(0, 60))["samples"] + vehicle(0.1, range(60, 500))["samples"]}
    assert not observable(TRUTH, event, seen_before)  # seen, but not while it happened
    assert observable(TRUTH, event, {"samples": [s[:7] for s in vehicle(0.1, range(0, 500))["samples"]]})  # old truth


@pytest.mark.parametrize("kind", ["wrong_lane", "wrong_way"])
def test_lane_events_count_only_time_inside_the_configured_lanes(kind: str) -> None:
    """The simulator's lane runs on past the junction; the camera's lanes end at it."""
    event = {"type": kind, "start_frame": 0, "end_frame": 400}
    lane = [(0.0, 100.0), (200.0, 100.0), (200.0, 720.0), (0.0, 720.0)]  # ground points at y 100..720
    beyond = {"samples": [[i, 10, 10, 50, 50, 20.0, 0.0, 1.0] for i in range(0, 400)]}  # bottoms at y=50
    inside_for_2s = {"samples": [[i, 10, 60, 50, 150, 20.0, 0.0, 1.0] for i in range(0, 50)] + beyond["samples"][50:]}
    assert not observable(TRUTH, event, beyond, [lane])
    assert observable(TRUTH, event, beyond)  # without lanes: the old judgement
    assert observable(TRUTH, event, inside_for_2s, [lane])
    # standing for 16 s cut by the bottom edge of a 720-line picture: where it touches the road is not seen
    cut = {"samples": [[i, 10, 600, 50, 719, 0.0, 0.0, 1.0] for i in range(0, 400)]}
    assert observable({**TRUTH, "height": 720}, event, {"samples": [s[:4] + [700] + s[5:] for s in cut["samples"]]}, [lane])
    assert not observable({**TRUTH, "height": 720}, event, cut, [lane])


def test_visible_fractions_follow_the_drawing_order() -> None:
    boxes = {1: Box(0, 0, 40, 40), 2: Box(20, 0, 60, 40), 3: Box(100, 100, 120, 120)}  # 2 drawn over 1
    seen = visible_fractions(boxes, 200, 200, cell=1)
    assert seen[2] == 1.0 and seen[3] == 1.0
    assert 0.45 <= seen[1] <= 0.55


def test_a_violation_is_about_the_vehicle_its_track_held_at_that_moment() -> None:
    """At 6 fps a wrong-way rider's id passed to a rider standing at red, who then held it for
    far longer: the violation (and its evidence) is still the first rider's."""
    start = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    def samples(frames: range, x: float) -> list[list[float]]:
        return [[i, x, 100.0, x + 40, 200.0, 10.0, 20.0, 1.0] for i in frames]
    truth = {"fps": 6.0, "frames": 300, "start_utc": start.isoformat(), "vehicles": [
        {"track_id": 46, "class": "motorbike", "samples": samples(range(0, 40), 100.0)},  # against the lane
        {"track_id": 42, "class": "motorbike", "samples": samples(range(0, 300), 600.0)},  # standing at red
    ], "violations": [{"type": "wrong_way", "track_id": 46, "start_frame": 5, "end_frame": 40}]}
    log = TrackLog()
    log.boxes[7] = {i: (100.0, 100.0, 140.0, 200.0) for i in range(0, 40)}
    log.boxes[7].update({i: (600.0, 100.0, 640.0, 200.0) for i in range(40, 300)})  # then the standing rider's
    def violation(frame: int) -> Violation:
        return Violation(violation_id="v", camera_id="C", violation_type=ViolationType.WRONG_WAY,
                         occurred_at=start + timedelta(seconds=frame / 6), track_id=7, vehicle_class="motorbike",
                         plate_text=None, plate_confidence=None, plate_needs_review=True, speed_kmh=None,
                         evidence_path=None, run_id=None)
    kw = {"counts_pred": {}, "count_line": ((0.0, 0.0), (1.0, 0.0)), "types": ["wrong_way"]}
    right = score(truth, [violation(10)], log, **kw).per_type["wrong_way"]
    assert (right.tp, right.fp, right.fn) == (1, 0, 0)
    wrong = score(truth, [violation(100)], log, **kw).per_type["wrong_way"]  # reported on the standing rider
    assert (wrong.tp, wrong.fp, wrong.fn) == (0, 1, 1)


def test_a_window_of_a_longer_clip_scores_the_events_starting_in_it() -> None:
    """Frames [100, 400) of a 500-frame clip: a rider entering two seconds before the window
    ends is judged from the frames after it; events and stray reports before or after the
    window are the neighbouring segments' to count."""
    start = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    def samples(frames: range, x: float) -> list[list[float]]:
        return [[i, x, 100.0, x + 40, 200.0, 10.0, 20.0, 1.0] for i in frames]
    truth = {"fps": 25.0, "frames": 500, "start_utc": start.isoformat(), "vehicles": [
        {"track_id": 1, "class": "motorbike", "samples": samples(range(350, 500), 100.0)},  # enters late
        {"track_id": 2, "class": "motorbike", "samples": samples(range(0, 150), 300.0)},  # the window before's
        {"track_id": 3, "class": "motorbike", "samples": samples(range(0, 500), 600.0)},  # never violates
    ], "violations": [{"type": "wrong_way", "track_id": 1, "start_frame": 350, "end_frame": 499},
                      {"type": "wrong_way", "track_id": 2, "start_frame": 20, "end_frame": 140}]}
    log = TrackLog()
    for track, x in ((11, 100.0), (12, 300.0), (13, 600.0)):
        log.boxes[track] = {f: (x, 100.0, x + 40, 200.0) for f, *_ in truth["vehicles"][track - 11]["samples"]}
    def violation(track: int, frame: int) -> Violation:
        return Violation(violation_id=f"v{track}{frame}", camera_id="C", violation_type=ViolationType.WRONG_WAY,
                         occurred_at=start + timedelta(seconds=frame / 25), track_id=track,
                         vehicle_class="motorbike", plate_text=None, plate_confidence=None, plate_needs_review=True,
                         speed_kmh=None, evidence_path=None, run_id=None)
    kw = {"counts_pred": {}, "count_line": ((0.0, 0.0), (1.0, 0.0)), "types": ["wrong_way"]}
    found = [violation(11, 460), violation(12, 60), violation(13, 450), violation(13, 50)]
    windowed = score(truth, found, log, window=(100, 400), **kw).per_type["wrong_way"]
    assert (windowed.tp, windowed.fp, windowed.fn) == (1, 0, 0)  # judged after the window's end
    assert (score(truth, found + [violation(13, 200)], log, window=(100, 400), **kw).per_type["wrong_way"].fp) == 1
    missed = score(truth, [], log, window=(100, 400), **kw).per_type["wrong_way"]
    assert (missed.tp, missed.fp, missed.fn) == (0, 0, 1)
    whole = score(truth, found, log, **kw).per_type["wrong_way"]  # the clip scored whole
    assert (whole.tp, whole.fp, whole.fn) == (2, 2, 0)


def test_legible_plates_score_exact_reads_and_count_confident_wrong_ones() -> None:
    """Only plates wide enough to read count; a wrong read not marked for review is an
    invented plate an officer would be handed, and is counted apart from one left for review;
    an exact read left for review is counted too (the officer's confirmations)."""
    start = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    def samples(x: float) -> list[list[float]]:
        return [[i, x, 100.0, x + 40, 200.0, 10.0, 20.0, 1.0] for i in range(0, 100)]
    plates = {1: ("51F-123.45", 80), 2: ("29A-555.55", 80), 3: ("30E-999.99", 80), 4: ("43C-111.11", 30),
              5: ("60A-222.22", 80)}
    truth = {"fps": 25.0, "frames": 100, "start_utc": start.isoformat(),
             "vehicles": [{"track_id": t, "class": "car", "plate": p, "plate_max_px": px, "samples": samples(200.0 * t)}
                          for t, (p, px) in plates.items()],
             "violations": [{"type": "wrong_way", "track_id": t, "start_frame": 10, "end_frame": 90} for t in plates]}
    log = TrackLog()
    for t in plates:
        log.boxes[10 + t] = {i: (200.0 * t, 100.0, 200.0 * t + 40, 200.0) for i in range(0, 100)}
    reads = {1: ("51F-123.45", False), 2: ("29A-555.58", False), 3: ("30E-999.98", True), 4: (None, True),
             5: ("60A-222.22", True)}
    found = [Violation(violation_id=f"v{t}", camera_id="C", violation_type=ViolationType.WRONG_WAY,
                       occurred_at=start + timedelta(seconds=0.8), track_id=10 + t, vehicle_class="car",
                       plate_text=text, plate_confidence=0.9, plate_needs_review=review, speed_kmh=None,
                       evidence_path=None, run_id=None) for t, (text, review) in reads.items()]
    s = score(truth, found, log, counts_pred={}, count_line=((0.0, 0.0), (1.0, 0.0)), types=["wrong_way"])
    assert (s.plates_legible, s.plates_exact, s.plates_wrong_unflagged, s.plates_exact_flagged) == (4, 2, 1, 1)
    assert len(s.plate_misses) == 2 and "29A-555.58" in s.plate_misses[0] and "needs review" in s.plate_misses[1]


def test_truth_counts_fall_in_the_bin_of_the_frame_the_vehicle_had_crossed_by() -> None:
    """Line y = 300; 25 fps from 08:29:50 (Vietnam). A car crossing 8 s in is in the 08:15 bin
    (UTC 01:15), a bus crossing 12 s in in the 08:30 one; a rider that turns back before the
    line, and one crossing beside the line's extent, are not counted."""
    from pipelines.truth_eval import truth_count_bins, truth_counts

    def vehicle(track_id: int, cls: str, x: float, ys: list[tuple[int, float]]) -> dict:
        return {"track_id": track_id, "class": cls,
                "samples": [[f, x - 20, y - 40, x + 20, y, None, None, 1.0] for f, y in ys]}

    truth = {"start_utc": "2026-03-02T01:29:50+00:00", "fps": 25, "vehicles": [
        vehicle(1, "car", 500, [(150, 340), (200, 303), (201, 299), (205, 290)]),  # 2 px clear at frame 205
        vehicle(2, "bus", 500, [(280, 320), (300, 250)]),
        vehicle(3, "motorbike", 500, [(100, 340), (110, 301), (120, 340)]),
        vehicle(4, "car", 1200, [(100, 340), (110, 250)]),
    ]}
    line = ((400.0, 300.0), (880.0, 300.0))
    bins = truth_count_bins(truth, line)
    assert dict(bins) == {(datetime(2026, 3, 2, 1, 15, tzinfo=UTC), "car"): 1,
                          (datetime(2026, 3, 2, 1, 30, tzinfo=UTC), "bus"): 1}
    assert truth_counts(truth, line) == {"car": 1, "bus": 1}
