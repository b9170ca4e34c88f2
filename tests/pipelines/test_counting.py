"""15-minute counts: one count per track crossing the line, with the class the track ends with."""

from __future__ import annotations

from dataclasses import replace

from pipelines.counting import Counter15
from tests.pipelines.test_rules import CONFIG, obs


def crossing(track_id: int, classes: list[str]) -> list:  # type: ignore[type-arg]
    """A track driving up across the stop line (y=300), its voted class frame by frame."""
    return [replace(obs(track_id, i, y=400 - 20 * i), vehicle_class=cls) for i, cls in enumerate(classes)]


def test_a_crossing_track_is_counted_once() -> None:
    counter = Counter15("CAM", CONFIG)
    for o in crossing(1, ["car"] * 12) + crossing(1, ["car"] * 12):
        counter.observe([o])
    (only,) = counter.bins()
    assert (only.vehicle_class, only.movement, only.count) == ("car", "in-1", 1)


def test_the_count_takes_the_class_the_track_ends_with_and_zeroes_the_bin_it_left() -> None:
    """Voted "bicycle" while far and unsure as it crossed, "motorbike" once seen closer: one
    motorbike; the bicycle bin an earlier segment reported is set back to zero."""
    counter = Counter15("CAM", CONFIG)
    track = crossing(1, ["bicycle"] * 8 + ["motorbike"] * 4)
    for o in track[:8]:
        counter.observe([o])
    assert [(b.vehicle_class, b.count) for b in counter.bins()] == [("bicycle", 1)]
    for o in track[8:]:
        counter.observe([o])
    counter.forget(1)
    assert sorted((b.vehicle_class, b.count) for b in counter.bins()) == [("bicycle", 0), ("motorbike", 1)]


def test_a_standing_box_jittering_on_the_line_is_not_counted() -> None:
    """A false detection on the empty road, or a vehicle queued on the line: its box bottom
    jitters a few pixels either side of the line (here 120 px tall, ±5 px)."""
    counter = Counter15("CAM", CONFIG)
    for i in range(20):
        o = obs(1, i, y=300 + (5 if i % 2 else -5))
        counter.observe([replace(o, box=(o.box[0], o.box[3] - 120, o.box[2], o.box[3]))])
    assert counter.bins() == ()


def test_a_track_the_detector_was_never_sure_of_is_not_counted() -> None:
    """Lane dashes between two cars, tracked as a bicycle across the line: no count."""
    counter = Counter15("CAM", CONFIG)
    for o in crossing(1, ["bicycle"] * 12):
        counter.observe([replace(o, confirmed=False)])
    assert counter.bins() == ()
    counter.forget(1)
    assert counter.bins() == ()


def test_a_track_confirmed_after_crossing_is_counted_in_the_bin_it_crossed_in() -> None:
    counter = Counter15("CAM", CONFIG)
    track = crossing(1, ["car"] * 12)
    for i, o in enumerate(track):
        counter.observe([replace(o, confirmed=i >= 10)])  # crossed at frame 5, sure of it from frame 10
    counter.forget(1)
    (only,) = counter.bins()
    assert (only.vehicle_class, only.count, only.bin_start) == ("car", 1, track[0].at.replace(minute=30, second=0))


def test_a_vehicle_whose_id_changed_at_the_line_is_counted_once() -> None:
    """A bus turning across the line at 6 fps: seen below it under one id, above it under the next."""
    counter = Counter15("CAM", CONFIG)
    below = crossing(1, ["bus"] * 4)  # y 400 → 340: below the line only
    above = [replace(o, track_id=2, continues=1) for o in crossing(2, ["bus"] * 12)[7:]]  # y 260 → 180
    for o in below + above:
        counter.observe([o])
    (only,) = counter.bins()
    assert (only.vehicle_class, only.count) == ("bus", 1)


def test_a_new_id_after_the_count_is_not_counted_again() -> None:
    counter = Counter15("CAM", CONFIG)
    for o in crossing(1, ["car"] * 8):  # counted at frame 5
        counter.observe([o])
    again = [replace(o, continues=1) for o in crossing(2, ["car"] * 12)]
    for o in again:  # the same car under a new id (a tracker's slip), seen crossing again
        counter.observe([o])
    counter.forget(1)
    counter.forget(2)
    assert sum(b.count for b in counter.bins()) == 1


def test_without_continuation_the_two_halves_are_not_counted() -> None:
    counter = Counter15("CAM", CONFIG)
    for o in crossing(1, ["bus"] * 4) + [replace(o, track_id=2) for o in crossing(2, ["bus"] * 12)[7:]]:
        counter.observe([o])
    assert counter.bins() == ()


def test_riders_do_not_take_over_counts() -> None:
    """In a swarm the box a lost rider leaves is as often the next rider's: each rider's own
    crossing counts."""
    counter = Counter15("CAM", CONFIG)
    for o in crossing(1, ["motorbike"] * 8):
        counter.observe([o])
    for o in crossing(2, ["motorbike"] * 12):
        counter.observe([replace(o, continues=1)])
    counter.forget(1)
    counter.forget(2)
    assert sum(b.count for b in counter.bins()) == 2
