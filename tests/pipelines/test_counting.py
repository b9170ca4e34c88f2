"""15-minute counts: one count per track crossing the line, with the class the track ends with."""

from __future__ import annotations

from dataclasses import replace

import pytest

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


@pytest.mark.parametrize(("name", "cls", "x_shift", "expected"), [
    ("a box sliding from one car to the other", "car", 0.0, 0),
    ("a car's box moving beside them", "car", 120.0, 1),
    ("a rider passing in front of them", "motorbike", 0.0, 1),
    ("a car driving on in front of a bus (its box inside the bus's)", "car", 0.0, 1),
])
def test_a_second_box_of_a_tracked_car_is_no_crossing(name: str, cls: str, x_shift: float, expected: int) -> None:
    """Two cars crossing paths at a junction, one past the stop line (y=300), one before it: the
    detector gives one box that lies on the first, then on the second, tracked as a third id."""
    counter = Counter15("CAM", CONFIG)
    bus = "bus" in name
    for i in range(10):
        frame = [obs(1, i, y=250), obs(2, i, y=380)]
        if bus:  # a bus standing over both, its box 160 px wide and 400 tall
            frame = [replace(obs(1, i, y=400, cls="bus"), box=(440.0, 0.0, 600.0, 400.0))]
        if 5 <= i:
            x, y = 520 + x_shift, 250 if i < 8 else 380
            frame.append(replace(obs(3, i, x=x, y=y, cls=cls), box=(x - 32, y - 63, x + 31, y)))
        counter.observe(frame)
    for track_id in (1, 2, 3):
        counter.forget(track_id)
    assert sum(b.count for b in counter.bins()) == expected, name


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


def hidden_at_the_line(cls: str = "motorbike", *, resume: int = 7, x_shift: float = 0.0, confirmed: bool = False,
                       ) -> tuple[list, list]:  # type: ignore[type-arg]
    """A rider seen approaching (y 400 → 320, below the line only), hidden from frame 5 as it
    crosses (behind a car), back under a new id, past the line, from frame ``resume``."""
    before = crossing(1, [cls] * 5)
    after = [replace(o, track_id=2, confirmed=confirmed, point=(o.point[0] + x_shift, o.point[1]),
                     box=(o.box[0] + x_shift, o.box[1], o.box[2] + x_shift, o.box[3]))
             for o in crossing(2, [cls] * 20)[resume:]]
    return before, after


def count_of(*tracks: list, forget: tuple[int, ...] = (1, 2)) -> int:  # type: ignore[type-arg]
    counter = Counter15("CAM", CONFIG)
    for o in sorted((o for t in tracks for o in t), key=lambda o: (o.frame_index, o.track_id)):
        counter.observe([o])
    for track_id in forget:
        counter.forget(track_id)
    return sum(b.count for b in counter.bins())


@pytest.mark.parametrize(("case", "expected"), [
    ({}, 1),  # back where its path leads, 0.3 s later, seen dimly (not confirmed): one count
    ({"confirmed": True}, 1),
    ({"resume": 13}, 1),  # hidden 0.9 s
    ({"resume": 16}, 0),  # hidden 1.2 s: too long to say it is the same rider
    ({"x_shift": 90.0}, 0),  # another rider, 90 px to the side of the path
    ({"cls": "car"}, 0),  # cars and buses are joined by box overlap (TrackBook), not by path
])
def test_a_rider_hidden_as_it_crosses_is_joined_to_its_path(case: dict, expected: int) -> None:  # type: ignore[type-arg]
    before, after = hidden_at_the_line(**case)
    assert count_of(before, after) == expected


def test_a_rider_not_heading_for_the_line_is_not_joined() -> None:
    """Standing at the red light short of the line (y 330), then lost: a rider appearing past
    the line is someone else."""
    standing = [replace(obs(1, i, y=330 + (1 if i % 2 else 0), cls="motorbike")) for i in range(6)]
    other = [replace(o, track_id=2) for o in crossing(2, ["motorbike"] * 14)[8:]]
    assert count_of(standing, other) == 0


def test_two_riders_back_past_the_line_one_joins_the_nearest() -> None:
    before, after = hidden_at_the_line(confirmed=False)
    beside = [replace(o, track_id=3, point=(o.point[0] + 25, o.point[1]), box=(o.box[0] + 25, o.box[1], o.box[2] + 25,
                                                                                o.box[3])) for o in after]
    counter = Counter15("CAM", CONFIG)
    for o in before:
        counter.observe([o])
    for a, b in zip(after, beside, strict=True):
        counter.observe([b, a])
    for track_id in (1, 2, 3):
        counter.forget(track_id)
    assert sum(b.count for b in counter.bins()) == 1


def test_the_lost_id_found_again_is_not_counted_twice() -> None:
    before, after = hidden_at_the_line(confirmed=True)
    found_again = [replace(o, track_id=1) for o in after[3:]]  # the tracker takes the old id up again
    assert count_of(before, after[:3], found_again) == 1


@pytest.mark.parametrize(("ground_y", "expected"), [(4.0, 1), (7.0, 0)])
def test_on_a_calibrated_camera_the_path_is_carried_on_over_the_ground(ground_y: float, expected: int) -> None:
    """Nearing the camera a rider speeds up in the picture while it keeps its speed on the road:
    back 56 px off its path in the picture, on it on the ground (0.5 m a frame) — joined; 3 m
    off it on the ground — not."""
    ys = [400, 385, 368, 349, 328]
    before = [replace(obs(1, i, y=y, cls="motorbike"), ground=(0.0, 0.5 * i)) for i, y in enumerate(ys)]
    after = [replace(obs(2, 8 + i, y=200 - 30 * i, cls="motorbike"), confirmed=False,
                     ground=(0.0, ground_y + 0.5 * i)) for i in range(4)]
    assert count_of(before, after) == expected
