"""Track book: plate crops hold only the vehicle's own plate, never a neighbour's, and a box
cut by the top or bottom of the picture gives no crop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from pipelines.detections import Detections
from analytics.scene_config import SceneConfig
from pipelines.track_book import TrackBook
from tests.pipelines.test_rules import CONFIG, _calibrated

WHITE = 255


def detections(*boxes: tuple[float, float, float, float]) -> Detections:
    n = len(boxes)
    return Detections(xyxy=np.asarray(boxes, np.float32), confidence=np.full(n, 0.9, np.float32),
                      class_id=np.ones(n, np.int64), track_id=np.arange(1, n + 1, dtype=np.int64))


def frame_with_plates(*boxes: tuple[int, int, int, int]) -> np.ndarray:
    image = np.zeros((720, 1280, 3), np.uint8)
    for x1, _, x2, y2 in boxes:  # a white "plate" at the bottom middle of each vehicle
        cx = (x1 + x2) // 2
        image[y2 - 30:y2 - 10, cx - 30:cx + 30] = WHITE
    return image


def test_the_crop_shows_our_plate_and_paints_the_neighbours_out() -> None:
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100)
    ours, neighbour = (400, 300, 640, 500), (560, 300, 700, 470)  # the neighbour's plate falls in our crop
    book.observe(detections(ours, neighbour), 0, datetime(2026, 3, 2, tzinfo=UTC), frame_with_plates(ours, neighbour))
    (_, crop), = book.tracks[1].crops
    assert (crop == WHITE).all(axis=2).sum() == 60 * 20  # exactly our own plate
    (_, other), = book.tracks[2].crops
    assert (other == WHITE).all(axis=2).sum() == 60 * 20


def test_a_box_cut_by_the_frame_edge_gives_no_crop() -> None:
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100)
    cut = (400, 500, 640, 719)
    book.observe(detections(cut), 0, datetime(2026, 3, 2, tzinfo=UTC), frame_with_plates(cut))
    assert book.tracks[1].crops == []


def test_boxes_running_out_of_the_bottom_are_kept_apart_and_never_displace_a_clear_view() -> None:
    """A bus going away leaves the picture at the bottom, at its largest: its two largest such
    views are kept as open views (the reader checks the plate is whole), its clear ones stay."""
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    clear = [(400, 400 - 20 * i, 640, 600 + 10 * i) for i in range(3)]  # 200, 230, 260 px tall
    leaving = [(380, 380 - 30 * i, 660, 719) for i in range(3)]  # 339, 369, 399 px, cut by the bottom
    top_cut = [(380, 1, 660, 719)]  # cut at both ends
    for i, box in enumerate(clear + leaving + top_cut):
        book.observe(detections(box), i, t0 + timedelta(seconds=i / 25), frame_with_plates(box))
    assert [r for r, _ in book.views(1)] == [260, 230, 200]
    assert [r for r, _ in book.open_views(1)] == [399, 369]
    assert all(crop.shape[0] == 720 - int(y1 + 0.3 * (719 - y1)) for (_, crop), (_, y1, _, _) in
               zip(book.open_views(1), leaving[::-1]))  # down to the picture's bottom edge


def test_at_6_fps_a_heading_comes_after_two_frame_gaps_and_a_speed_after_three() -> None:
    config, _ = _calibrated()  # 5 cm of road per pixel
    book = TrackBook(config, fps=6, lost_frames=9, box_memory_frames=60)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    headed, timed = [], []
    for i in range(5):  # a rider coming down the picture, 40 px a frame
        box = (700.0, 150.0 + 40 * i, 740.0, 230.0 + 40 * i)
        (obs,) = book.observe(detections(box), i, t0 + timedelta(seconds=i / 6), None)
        headed.append(obs.heading is not None)
        timed.append(obs.speed_mps is not None)
    assert headed == [False, False, True, True, True]  # from 0.33 s of track
    assert timed == [False, False, False, True, True]  # from 0.5 s: a speed needs 0.4 s


def test_a_box_cut_by_the_side_of_the_picture_has_a_lane_but_no_motion() -> None:
    data = CONFIG.model_dump()
    data["lanes"][1]["polygon"] = [[640, 0], [1280, 0], [1280, 720], [640, 720]]  # the kerb lane to the edge
    book = TrackBook(SceneConfig.model_validate(data), fps=25, lost_frames=30, box_memory_frames=100)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    side = (1090.0, 380.0, 1280.0, 680.0)  # a car half out of the picture on the right, wheels in view
    bottom = (700.0, 500.0, 900.0, 720.0)  # a car cut by the bottom edge: where it stands is not seen
    short = (420.0, 640.0, 620.0, 717.0)  # a box stopping 3 px short of the bottom edge: cut as well
    for i in range(10):
        side_obs, bottom_obs, short_obs = book.observe(detections(side, bottom, short), i,
                                                       t0 + timedelta(seconds=i / 25), None)
    assert side_obs.lane_id == "in-2" and side_obs.heading is None and side_obs.speed_mps is None
    assert bottom_obs.lane_id is None and short_obs.lane_id is None and short_obs.ground is None


def test_a_far_box_has_a_lane_but_no_position_or_motion() -> None:
    """Far up the picture a pixel is more than 0.25 m of depth (too coarse for a speed) but a
    few centimetres across the road: the lane is known, the ground position is not."""
    import math

    k, lat0 = 111_320.0, 10.0
    image = [(400, 700), (880, 700), (660, 100), (620, 100)]  # a road 12 m wide and 80 m long
    metres = [(0.0, 0.0), (12.0, 0.0), (12.0, 80.0), (0.0, 80.0)]
    ground = [(105.0 + x / (k * math.cos(math.radians(lat0))), lat0 + y / k) for x, y in metres]
    config = SceneConfig.model_validate({**CONFIG.model_dump(), "speed": {
        "image_points": image, "ground_points": ground, "limit_kmh": 50}})
    book = TrackBook(config, fps=25, lost_frames=30, box_memory_frames=100)
    far = (636.0, 96.0, 660.0, 120.0)
    assert book._ground is not None and book._ground.depth_metres_per_pixel((648, 120)) > 0.25
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    for i in range(10):
        (obs,) = book.observe(detections(far), i, t0 + timedelta(seconds=i / 25), None)
    assert obs.lane_id == "in-2" and obs.far and obs.ground is None and obs.speed_mps is None and obs.heading is None


def test_a_view_cut_by_the_side_is_read_only_while_the_track_has_no_clear_view() -> None:
    """A car parked at the edge of the picture for its whole stay still shows its plate; once
    the vehicle is seen whole, its cut views (often missing part of the plate) are dropped."""
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    near = (1033, 351, 1275, 629)  # the car runs out of the picture; its box ends 5 px short
    image = np.zeros((720, 1280, 3), np.uint8)
    image[589:609, 1200:1260] = WHITE  # its plate near the cut side, inside the picture
    book.observe(detections(near), 0, t0, image)
    (rank, crop), = book.tracks[1].crops
    assert rank < 0 and (crop == WHITE).all(axis=2).sum() == 60 * 20  # the plate, not painted out
    clear = (900, 300, 1100, 500)
    book.observe(detections(clear), 1, t0 + timedelta(seconds=0.04), frame_with_plates(clear))
    (rank, crop), = book.tracks[1].crops
    assert rank == 200
    book.observe(detections(near), 2, t0 + timedelta(seconds=0.08), image)  # bigger, but cut
    assert [r for r, _ in book.tracks[1].crops] == [200]


def test_cut_views_rank_by_how_much_of_the_vehicle_is_in_the_picture() -> None:
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    entering = [(1180, 440, 1279, 690), (1150, 420, 1279, 670), (1120, 400, 1279, 650)]  # tall, narrow
    parked = (1040, 330, 1280, 546)  # most of the car in the picture, smaller
    image = np.zeros((720, 1280, 3), np.uint8)
    for i, box in enumerate(entering + [parked]):
        book.observe(detections(box), i, t0 + timedelta(seconds=i / 25), image)
    assert book.tracks[1].crops[0][0] == 240 - 1280


def test_a_parked_cars_views_rank_by_how_little_of_its_plate_a_nearer_vehicle_hides() -> None:
    """Trần Phú, seed 9002: a car parked behind another showed its plate only once the car in
    front had gone, and its views, all the same size, were the first three (plate hidden)."""
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    parked, in_front = (400, 300, 640, 480), (380, 420, 660, 600)  # nearer: its bottom lower in the picture
    hidden = frame_with_plates(parked)
    hidden[420:600, 380:660] = 90  # the nearer car drawn over the parked car's plate
    for i in range(6):
        boxes, image = ((parked, in_front), hidden) if i < 4 else ((parked,), frame_with_plates(parked))
        book.observe(detections(*boxes), i, t0 + timedelta(seconds=i / 25), image)
    ranks = [r for r, _ in book.tracks[1].crops]
    assert ranks[:2] == [180, 180] and ranks[2] < 180
    assert all((crop == WHITE).all(axis=2).sum() == 60 * 20 for _, crop in book.tracks[1].crops[:2])


def test_a_track_that_ended_standing_keeps_its_plate_views() -> None:
    """A parked car's id changes while it stands: the plate seen under the old id stays
    available (for a while); a track that drove off keeps nothing."""
    config, _ = _calibrated()
    book = TrackBook(config, fps=25, lost_frames=30, box_memory_frames=100)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    parked = (400.0, 300.0, 640.0, 500.0)
    for i in range(50):  # two seconds standing still
        book.observe(detections(parked), i, t0 + timedelta(seconds=i / 25), frame_with_plates((400, 300, 640, 500)))
    book.drop(1, 50)
    assert book.views(1) and all((crop == WHITE).all(axis=2).sum() == 60 * 20 for _, crop in book.views(1))

    mover = TrackBook(config, fps=25, lost_frames=30, box_memory_frames=100)
    for i in range(25):  # driving up the picture, 8 px a frame (10 m/s)
        box = (400.0, 300.0 - 8 * i, 640.0, 500.0 - 8 * i)
        mover.observe(detections(box), i, t0 + timedelta(seconds=i / 25), frame_with_plates(tuple(int(v) for v in box)))
    assert mover.views(1)  # while the track lives
    mover.drop(1, 25)
    assert mover.views(1) == []

    book.drop(7, 50 + 25 * 901)  # a quarter of an hour later the parked views are gone
    assert book.views(1) == []


def scored(box: tuple[float, float, float, float], confidence: float) -> Detections:
    return Detections(xyxy=np.asarray([box], np.float32), confidence=np.asarray([confidence], np.float32),
                      class_id=np.asarray([4], np.int64), track_id=np.asarray([1], np.int64))


@pytest.mark.parametrize(("name", "confidences", "confirmed"), [
    ("a sure vehicle: confirmed on its first box", [0.9, 0.85, 0.9], [True, True, True]),
    ("a vehicle with weak frames: confirmed once its median passes 0.5", [0.3, 0.2, 0.8, 0.9, 0.9],
     [False, False, False, True, True]),
    ("lane dashes between two cars, read as a bicycle up to 0.51: never", [0.41, 0.25, 0.47, 0.51, 0.23, 0.22, 0.39,
                                                                           0.27, 0.51, 0.32, 0.26, 0.43],
     [False] * 12),
    ("once confirmed, weak frames later do not take it back", [0.9, 0.2, 0.2, 0.2, 0.2], [True] * 5),
])
def test_a_track_is_confirmed_once_the_median_confidence_of_its_boxes_reaches_the_threshold(
        name: str, confidences: list[float], confirmed: list[bool]) -> None:
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100, confirm_confidence=0.5)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    seen = [book.observe(scored((600.0, 400.0 - 5 * i, 640.0, 500.0 - 5 * i), c), i, t0 + timedelta(seconds=i / 25),
                         None)[0].confirmed for i, c in enumerate(confidences)]
    assert seen == confirmed, name


def test_without_a_threshold_every_track_is_confirmed() -> None:
    """The motion detector gives every blob the same confidence: no evidence either way."""
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100)
    (obs,) = book.observe(scored((600.0, 400.0, 640.0, 500.0), 0.1), 0, datetime(2026, 3, 2, tzinfo=UTC), None)
    assert obs.confirmed


def _ids(track_id: int, box: tuple[float, float, float, float], confidence: float, cls: int = 0) -> Detections:
    return Detections(xyxy=np.asarray([box], np.float32), confidence=np.asarray([confidence], np.float32),
                      class_id=np.asarray([cls], np.int64), track_id=np.asarray([track_id], np.int64))


@pytest.mark.parametrize(("name", "gap_frames", "shift_px", "cls", "expected"), [
    ("the rider's next id, dimly seen, where it was lost 0.2 s ago", 5, 4.0, 0, True),
    ("a dim box far from where the rider was lost", 5, 300.0, 0, False),
    ("a dim box where the rider was lost, but 1 s later", 25, 4.0, 0, False),
    ("a dim car box where a rider was lost: another kind of vehicle", 5, 4.0, 1, False),
])
def test_a_new_id_continuing_a_confirmed_vehicle_starts_confirmed(name: str, gap_frames: int, shift_px: float,
                                                                   cls: int, expected: bool) -> None:
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100, confirm_confidence=0.5)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    rider = (600.0, 300.0, 640.0, 400.0)
    for i in range(5):
        book.observe(_ids(1, rider, 0.9), i, t0 + timedelta(seconds=i / 25), None)
    frame = 4 + gap_frames
    box = (rider[0] + shift_px, rider[1], rider[2] + shift_px, rider[3])
    (obs,) = book.observe(_ids(2, box, 0.2, cls), frame, t0 + timedelta(seconds=frame / 25), None)
    assert obs.confirmed is expected, name


def test_a_dim_box_beside_a_confirmed_vehicle_still_in_view_is_not_its_continuation() -> None:
    """Lane dashes read as a bicycle next to a rider the detector still sees in the same frame."""
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100, confirm_confidence=0.5)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    rider = (600.0, 300.0, 640.0, 400.0)
    book.observe(_ids(1, rider, 0.9), 0, t0, None)
    both = Detections(xyxy=np.asarray([(610.0, 300.0, 650.0, 400.0), rider], np.float32),
                      confidence=np.asarray([0.3, 0.9], np.float32), class_id=np.asarray([4, 0], np.int64),
                      track_id=np.asarray([2, 1], np.int64))
    phantom, _ = book.observe(both, 1, t0 + timedelta(seconds=1 / 25), None)
    assert not phantom.confirmed


def test_an_id_refound_on_another_vehicle_after_a_gap_keeps_the_first_vehicles_views_apart() -> None:
    """At 6 fps a wrong-way rider hidden behind a parked car handed its id to that car: the
    rider's violation must read the rider's views, not the car's bigger plate."""
    book = TrackBook(CONFIG, fps=6, lost_frames=9, box_memory_frames=120)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    rider = [(600.0, 200.0 + 20 * i, 640.0, 290.0 + 20 * i) for i in range(6)]  # frames 0..5
    car = (700.0, 250.0, 950.0, 470.0)
    for i, box in enumerate(rider):
        book.observe(detections(box), i, t0 + timedelta(seconds=i / 6), frame_with_plates(tuple(map(int, box))))
    rider_views = [crop.shape for _, crop in book.tracks[1].crops]
    assert rider_views
    for i in range(10, 16):  # unseen for 0.8 s, then the id holds the parked car
        book.observe(detections(car), i, t0 + timedelta(seconds=i / 6), frame_with_plates(tuple(map(int, car))))
    assert book.stretch(1, 3) == (0, 5)
    assert book.stretch(1, 12) == (10, 15)
    assert [crop.shape for _, crop in book.views(1, 3)] == rider_views
    assert all(crop.shape[1] > 200 for _, crop in book.views(1, 12))  # the car's, for a violation of the car
    assert book.views(1) == book.views(1, 12)


@pytest.mark.parametrize("name, gap_frames, box_after", [
    ("short gap, moved", 1, (600.0, 330.0, 640.0, 420.0)),  # 0.33 s at 6 fps: under 3 intervals (0.5 s)
    ("long gap, where it stood", 8, (602.0, 302.0, 642.0, 392.0)),  # a parked rider hidden by traffic
])
def test_one_stretch_when_the_id_comes_back_soon_or_where_it_stood(name: str, gap_frames: int,
                                                                   box_after: tuple[float, ...]) -> None:
    book = TrackBook(CONFIG, fps=6, lost_frames=12, box_memory_frames=120)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    for i in range(4):
        book.observe(detections((600.0, 300.0, 640.0, 390.0)), i, t0 + timedelta(seconds=i / 6), None)
    back = 3 + gap_frames + 1
    book.observe(detections(box_after), back, t0 + timedelta(seconds=back / 6), None)
    assert book.stretch(1, 0) == (0, back), name


def _one(track_id: int, box: tuple[float, float, float, float], cls: int) -> Detections:
    return _ids(track_id, box, 0.9, cls)


def test_a_lost_track_is_taken_over_once_and_the_next_id_continues_the_one_that_took_it() -> None:
    """A truck at night crossing the count line, its box jumping: id 1 is lost just short of
    the line, id 2 takes it over and is counted past it; id 3 begins where 1 was lost, after 2
    is lost too. 3 continues 2 (the vehicle now), not 1 a second time: one truck, one count."""
    from pipelines.counting import Counter15

    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100, confirm_confidence=0.5)
    counter = Counter15("CAM", CONFIG)  # count line: CONFIG's stop line at y = 300
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    truck = 3
    frames = [(1, y) for y in (420, 400, 380, 360, 340, 320, 305)]  # below the line, lost on it
    frames += [(2, y) for y in (330, 300, 260, 240)]  # past it: counted
    frames += [(3, y) for y in (310, 350, 360, 300, 250, 230)]  # a second box where 1 was lost, jumping
    for index, (tid, y) in enumerate(frames):
        box = (560.0, y - 150.0, 720.0, float(y))
        counter.observe(book.observe(_one(tid, box, truck), index, t0 + timedelta(seconds=index / 25), None))
    assert book.tracks[2].continues == 1
    assert book.tracks[3].continues == 2
    for tid in (1, 2, 3):
        counter.forget(tid)
    assert [(b.vehicle_class, b.count) for b in counter.bins() if b.count] == [("truck", 1)]


def test_a_new_id_on_a_truck_carries_its_class_votes_and_a_riders_does_not() -> None:
    """A truck turning side-on is read as a bus for the few frames of its next id: the count
    takes the class of the vehicle over both ids. A rider's next id may be the next rider."""
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    truck, bus, motorbike, bicycle = 3, 2, 0, 4
    for i in range(20):
        book.observe(_one(1, (560.0, 300.0 - i, 720.0, 450.0 - i), truck), i, t0 + timedelta(seconds=i / 25), None)
    seen = [book.observe(_one(2, (565.0, 280.0 - i, 725.0, 430.0 - i), bus), 20 + i,
                         t0 + timedelta(seconds=(20 + i) / 25), None)[0] for i in range(1, 6)]
    assert seen[-1].continues == 1 and seen[-1].vehicle_class == "truck"
    for i in range(20):
        book.observe(_one(5, (100.0, 300.0 - i, 130.0, 360.0 - i), bicycle), i, t0 + timedelta(seconds=i / 25), None)
    (rider,) = book.observe(_one(6, (101.0, 280.0, 131.0, 340.0), motorbike), 21, t0 + timedelta(seconds=21 / 25),
                            None)
    assert rider.continues == 5 and rider.vehicle_class == "motorbike"


@pytest.mark.parametrize(("name", "first_box", "continues"), [
    ("a box entering at the bottom, behind a car lost driving up the road", (560.0, 520.0, 760.0, 719.0), None),
    ("the car's next id, further up its way", (545.0, 380.0, 705.0, 520.0), 1),
    ("a box a little back along its way (a jumpy box at night)", (560.0, 460.0, 720.0, 600.0), 1),
])
def test_a_new_id_does_not_continue_a_vehicle_it_lies_far_behind(
        name: str, first_box: tuple[float, float, float, float], continues: int | None) -> None:
    """Cầu Tân Đệ: a car drove away up the road and was lost; a bus entering at the bottom of
    the picture, first read as a car, overlapped its last box — it must not take the car's place."""
    book = TrackBook(CONFIG, fps=25, lost_frames=30, box_memory_frames=100)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    for i in range(8):  # up the picture 12 px a frame; last box (560, 436, 720, 576)
        box = (560.0, 520.0 - 12 * i, 720.0, 660.0 - 12 * i)
        book.observe(_one(1, box, 1), i, t0 + timedelta(seconds=i / 25), None)
    (obs,) = book.observe(_one(2, first_box, 1), 9, t0 + timedelta(seconds=9 / 25), None)
    assert obs.continues == continues, name


@pytest.mark.parametrize(("name", "step", "calibrated", "across"), [
    ("driving up its lane", (0.0, -6.0), True, False),
    ("driving down its lane (against it)", (0.0, 6.0), True, False),
    ("crossing the lane", (6.0, 0.0), True, True),
    ("drifting over at 45° (a lane change)", (5.0, -5.0), True, False),
    ("crossing the lane, uncalibrated camera", (6.0, 0.0), False, True),
    ("driving up its lane, uncalibrated camera", (0.0, -6.0), False, False),
])
def test_a_vehicle_moving_across_its_lane_is_told_from_one_driving_along_it(
        name: str, step: tuple[float, float], calibrated: bool, across: bool) -> None:
    """A truck turning through the junction crosses the motorbike lane's end: its heading lies
    far off the lane's axis. Either way along the axis is along it (wrong-way is another rule)."""
    book = TrackBook(_calibrated()[0] if calibrated else CONFIG, fps=25, lost_frames=30, box_memory_frames=100)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    seen = []
    for i in range(25):
        x, y = 700 + step[0] * i, 500 + step[1] * i
        (o,) = book.observe(detections((x - 40, y - 80, x + 40, y)), i, t0 + timedelta(seconds=i / 25), None)
        seen.append(o)
    moving = [o for o in seen if o.heading is not None]
    assert moving and all(o.lane_id == "in-2" for o in moving), name
    assert all(o.across_lane == across for o in moving), name
    assert not any(o.across_lane for o in seen if o.heading is None), name
