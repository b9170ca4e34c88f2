"""The per-camera pipeline on scripted detections (no model, no video): one vehicle that the
detector sees as two boxes (rider and bike) still gives one violation, while two vehicles
riding side by side give two."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from analytics.records import ViolationType
from pipelines.camera_pipeline import CameraPipeline, PipelineOptions
from pipelines.classes import CLASSES
from pipelines.detect_motion import GATE_WIDTH, MotionDetector
from pipelines.detections import Detections
from analytics.scene_config import SceneConfig, SignalRoi
from pipelines.frames import VideoFileSource, VideoFrame
from pipelines.video_writer import H264File
from tests.pipelines.test_rules import CONFIG

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
MOTORBIKE = CLASSES.index("motorbike")


class ScriptedDetector:
    """Boxes per frame from a function of the frame number."""

    name = "scripted"
    helmet_classes = False
    track_confidence = 0.0

    def __init__(self, boxes_at, *, confidence: float = 0.9, track_confidence: float = 0.0,  # type: ignore[no-untyped-def]
                 class_id: int = MOTORBIKE) -> None:
        self._boxes_at = boxes_at
        self._frame = 0
        self._confidence = confidence
        self._class_id = class_id
        self.track_confidence = track_confidence

    def detect(self, image: np.ndarray) -> Detections:
        boxes = self._boxes_at(self._frame)
        self._frame += 1
        if not boxes:
            return Detections.empty()
        return Detections(xyxy=np.asarray(boxes, np.float32), confidence=np.full(len(boxes), self._confidence, np.float32),
                          class_id=np.full(len(boxes), self._class_id, np.int64))


def wrong_way_rider(x: float, frame: int) -> tuple[float, float, float, float]:
    """A motorbike in lane in-2 riding down the image (against the lane's up direction)."""
    y = 120 + 9 * frame
    return (x - 22, y - 90, x + 22, y)


def run(boxes_at, detector: ScriptedDetector | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    pipeline = CameraPipeline(camera_id="C1", config=CONFIG, detector=detector or ScriptedDetector(boxes_at), fps=25.0,
                              options=PipelineOptions(rules=("wrong_way",)))
    image = np.zeros((720, 1280, 3), np.uint8)
    frames = [VideoFrame(camera_id="C1", index=i, at=T0 + timedelta(seconds=i / 25), image=image) for i in range(60)]
    out = pipeline.process(frames, segment_start=T0)
    return [v.violation_type.value for v in (*out.violations, *pipeline.close())]


def test_one_vehicle_seen_as_two_boxes_is_one_violation() -> None:
    def boxes_at(frame: int) -> list[tuple[float, float, float, float]]:
        bike = wrong_way_rider(760, frame)
        rider = (bike[0] + 3, bike[1] - 12, bike[2] + 6, bike[3] - 25)  # overlaps the bike box heavily
        return [bike, rider] if frame >= 8 else [bike]

    assert run(boxes_at) == ["wrong_way"]


def test_two_riders_side_by_side_are_two_violations() -> None:
    assert run(lambda frame: [wrong_way_rider(700, frame), wrong_way_rider(820, frame)]) == ["wrong_way", "wrong_way"]


@pytest.mark.parametrize(("name", "confidence", "expected"), [
    ("boxes the detector is sure of", 0.9, ["wrong_way"]),
    ("boxes it only half believes (a phantom on road markings)", 0.48, []),
])
def test_only_a_track_the_detector_was_sure_of_raises_a_violation(name: str, confidence: float,
                                                                   expected: list[str]) -> None:
    detector = ScriptedDetector(lambda frame: [wrong_way_rider(760, frame)], confidence=confidence,
                                track_confidence=0.5)
    assert run(None, detector) == expected, name


def car_in_the_motorbike_lane(x: float, frame: int) -> tuple[float, float, float, float]:
    y = 600 - 2 * frame
    return (x - 50, y - 100, x + 50, y)


def rider_coming_down(x: float, frame: int) -> tuple[float, float, float, float]:
    y = 150 + 6 * frame
    return (x - 22, y - 90, x + 22, y)


@pytest.mark.parametrize(("name", "cls", "box", "xs", "rule"), [
    ("a car in the motorbike lane", "car", car_in_the_motorbike_lane, (700, 770, 840), "wrong_lane"),
    ("a wrong-way rider", "motorbike", rider_coming_down, (700, 730, 760), "wrong_way"),
])
def test_a_vehicle_whose_id_changes_twice_gives_one_violation(name: str, cls: str, box, xs: tuple[int, ...],  # type: ignore[no-untyped-def]
                                                             rule: str) -> None:
    """The vehicle is judged; its box then jumps (half hidden) and the tracker gives it a new id,
    which it loses again after 0.4 s to a third id. The third id is judged too, long after the
    first — the same vehicle, through the id it continued, so one violation."""
    def boxes_at(frame: int) -> list[tuple[float, float, float, float]]:
        for (first, last), x in zip(((0, 29), (33, 42), (46, 80)), xs):
            if first <= frame <= last:
                return [box(x, frame)]
        return []

    detector = ScriptedDetector(boxes_at, class_id=CLASSES.index(cls))
    pipeline = CameraPipeline(camera_id="C1", config=CONFIG, detector=detector, fps=25.0,
                              options=PipelineOptions(rules=(rule,)))
    image = np.zeros((720, 1280, 3), np.uint8)
    frames = [VideoFrame(camera_id="C1", index=i, at=T0 + timedelta(seconds=i / 25), image=image) for i in range(90)]
    ids: set[int] = set()
    out = pipeline.process(frames, segment_start=T0, on_frame=lambda f, seen, p: ids.update(o.track_id for o in seen))
    found = [*out.violations, *pipeline.close()]
    assert len(ids) == 3, name  # the tracker did change the id twice
    assert [v.violation_type.value for v in found] == [rule], name


class DoubtfulThenSureDetector(ScriptedDetector):
    """Boxes whose confidence is low until ``sure_from``, then high."""

    def __init__(self, boxes_at, sure_from: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(boxes_at, class_id=CLASSES.index("car"), track_confidence=0.5)
        self._sure_from = sure_from

    def detect(self, image: np.ndarray) -> Detections:
        frame = self._frame
        found = super().detect(image)
        if len(found):
            found.confidence[:] = 0.9 if frame >= self._sure_from else 0.45
        return found


@pytest.mark.parametrize(("name", "sure_from", "expected"), [
    ("sure of the car only once it drives off, under its third id", 160, ["wrong_lane"]),
    ("never sure of it", 10_000, []),
])
def test_a_car_the_detector_is_sure_of_only_under_a_later_id_gives_its_violation(
        name: str, sure_from: int, expected: list[str]) -> None:
    """A car standing in the motorbike lane, half out of the picture, is judged under its first
    id long before the detector is sure of it; its id changes twice (the box jumps as it is cut
    by the frame edge), and only the third id, driving off, is confirmed. The first ids' hits
    are dropped as doubtful, and must not stand in for the third's: one violation."""
    def boxes_at(frame: int) -> list[tuple[float, float, float, float]]:
        for (first, last), x in zip(((0, 29), (33, 150), (154, 240)), (700, 770, 840)):
            if first <= frame <= last:
                y = 560 - max(0, frame - 160) * 2  # standing until frame 160, then driving up the lane
                return [(x - 50, y - 100, x + 50, y)]
        return []

    pipeline = CameraPipeline(camera_id="C1", config=CONFIG, detector=DoubtfulThenSureDetector(boxes_at, sure_from),
                              fps=25.0, options=PipelineOptions(rules=("wrong_lane",)))
    image = np.zeros((720, 1280, 3), np.uint8)
    frames = [VideoFrame(camera_id="C1", index=i, at=T0 + timedelta(seconds=i / 25), image=image) for i in range(260)]
    ids: set[int] = set()
    out = pipeline.process(frames, segment_start=T0, on_frame=lambda f, seen, p: ids.update(o.track_id for o in seen))
    assert len(ids) == 3, name
    assert [v.violation_type.value for v in (*out.violations, *pipeline.close())] == expected, name


class PlateInTheLightReader:
    """Reads a plate only on a crop with something lit in it (the frames are black before)."""

    def read(self, crops, *, vehicle_class=None, open_below=()):  # type: ignore[no-untyped-def]
        from pipelines.plates import PlateRead
        if any(float(c.mean()) > 100 for c in crops):
            return PlateRead(text="68H-813.63", confidence=0.99, needs_review=False, crop=crops[0])
        return PlateRead(text=None, confidence=None, needs_review=True, crop=crops[0])


def test_a_violation_confirmed_through_a_later_id_reads_the_plate_that_id_saw() -> None:
    """The car stands (the detector doubtful) under its first id, whose hit is judged at the end
    of its post-roll, once the next id, driving off, is sure of it; only that id's views show the
    plate."""
    def boxes_at(frame: int) -> list[tuple[float, float, float, float]]:
        for (first, last), x in zip(((0, 60), (64, 240)), (770, 840)):
            if first <= frame <= last:
                y = 560 - max(0, frame - 64) * 2
                return [(x - 50, y - 100, x + 50, y)]
        return []

    pipeline = CameraPipeline(camera_id="C1", config=CONFIG, detector=DoubtfulThenSureDetector(boxes_at, 64),
                              fps=25.0, options=PipelineOptions(rules=("wrong_lane",)),
                              plate_reader=PlateInTheLightReader())  # type: ignore[arg-type]
    dark, lit = np.zeros((720, 1280, 3), np.uint8), np.full((720, 1280, 3), 200, np.uint8)
    frames = [VideoFrame(camera_id="C1", index=i, at=T0 + timedelta(seconds=i / 25), image=lit if i >= 64 else dark)
              for i in range(260)]
    out = pipeline.process(frames, segment_start=T0)
    found = [*out.violations, *pipeline.close()]
    assert [(v.violation_type.value, v.track_id, v.plate_text, v.plate_needs_review) for v in found] == [
        ("wrong_lane", 1, "68H-813.63", False)]


class ClassedDetector:
    """Boxes with their classes per frame: ``boxes_at(frame) → [(box, class name)]``."""

    name = "scripted"
    helmet_classes = False
    track_confidence = 0.0

    def __init__(self, boxes_at) -> None:  # type: ignore[no-untyped-def]
        self._boxes_at = boxes_at
        self._frame = 0

    def detect(self, image: np.ndarray) -> Detections:
        seen = self._boxes_at(self._frame)
        self._frame += 1
        if not seen:
            return Detections.empty()
        return Detections(xyxy=np.asarray([b for b, _ in seen], np.float32), confidence=np.full(len(seen), 0.9, np.float32),
                          class_id=np.asarray([CLASSES.index(c) for _, c in seen], np.int64))


@pytest.mark.parametrize(("name", "car_frames", "overlap", "expected"), [
    ("a motorbike in the car lane", 0, 0, ["wrong_lane"]),
    ("a car's headlight read as a motorbike until the whole car is seen", 120, 0, []),
    # its own track over and forgotten (1.5 s lost) before the violation's 3 s post-roll ends
    ("the strip of a car seen past a bus, then the car for two frames", 2, 0, []),
    # the strip's track runs on inside the car's box for a quarter of a second
    ("the car seen whole while the strip is still tracked", 120, 6, []),
    ("the car seen whole half a second before the strip's track ends", 120, 14, []),
    ("a motorbike beside a car that appeared, its box partly on the car's", 120, -14, ["wrong_lane"]),
])
def test_a_motorbike_that_turns_out_to_be_part_of_a_car_is_not_judged(name: str, car_frames: int, overlap: int,
                                                                      expected: list[str]) -> None:
    data = CONFIG.model_dump()
    data["lanes"][0]["allowed_classes"] = ["car", "bus", "truck"]
    config = SceneConfig.model_validate(data)

    def boxes_at(frame: int) -> list[tuple[tuple[float, float, float, float], str]]:
        y = 400 + 4 * frame
        x = 520 if overlap >= 0 else 536  # negative overlap: beside the car, not on it
        strip = [((x, y - 54, x + 22, y), "motorbike")] if frame < 30 + abs(overlap) else []
        if frame < 30:
            return strip
        return ([((480, y - 62, 546, y), "car")] if frame < 30 + car_frames else []) + strip

    pipeline = CameraPipeline(camera_id="C1", config=config, detector=ClassedDetector(boxes_at), fps=25.0,
                              options=PipelineOptions(rules=("wrong_lane",)))
    image = np.zeros((720, 1280, 3), np.uint8)
    frames = [VideoFrame(camera_id="C1", index=i, at=T0 + timedelta(seconds=i / 25), image=image) for i in range(150)]
    out = pipeline.process(frames, segment_start=T0)
    assert [v.violation_type.value for v in (*out.violations, *pipeline.close())] == expected, name


class CountingSource(VideoFileSource):
    """A recording that notes which frames were converted to pictures."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, camera_id="C1", start_utc=T0)
        self.decoded: list[int] = []

    def _retrieve(self, index: int) -> np.ndarray:
        self.decoded.append(index)
        return super()._retrieve(index)


def test_at_5_detections_a_second_only_the_frames_looked_at_are_decoded(tmp_path: Path) -> None:
    writer = H264File(tmp_path / "rec.mp4", 320, 240, 25.0)
    for _ in range(100):
        writer.write(np.zeros((240, 320, 3), np.uint8))
    writer.close()
    config = CONFIG.model_copy(update={"signal": SignalRoi(source="roi", red_roi=(10, 10, 20, 20))})
    source = CountingSource(tmp_path / "rec.mp4")
    detector = ScriptedDetector(lambda frame: [wrong_way_rider(760, frame)])
    pipeline = CameraPipeline(camera_id="C1", config=config, detector=detector, fps=25.0,
                              options=PipelineOptions(rules=("wrong_way", "red_light"), detect_every=5))
    out = pipeline.process(source, segment_start=T0)
    source.close()
    assert out.frames_read == 100 and out.frames_detected == 20
    assert source.decoded == list(range(0, 100, 5))  # detection frames only; the lamps are read on them too


class WatchedGate(MotionDetector):
    """The real motion gate, noting which frames it measured."""

    def __init__(self, frames: list[VideoFrame]) -> None:
        super().__init__(CONFIG, work_width=GATE_WIDTH, whole_frame=True)
        self._index = {id(f.image): f.index for f in frames}
        self.measured: list[int] = []

    def measure(self, image: np.ndarray) -> float:
        self.measured.append(self._index[id(image)])
        return super().measure(image)


@pytest.mark.parametrize(("name", "busy"), [("a road that never stops moving", True), ("an empty road", False)])
def test_the_motion_gate_rests_on_a_busy_road_and_skips_on_a_quiet_one(name: str, busy: bool) -> None:
    """At 10 fps, a gate busy for 2 s rests 3 s (every frame is detected meanwhile) and then
    watches again; on a still picture it lets the detector run once a second. (A busy road is
    a threshold of 0: no picture is ever quiet enough.)"""
    frames = [VideoFrame(camera_id="C1", index=i, at=T0 + timedelta(seconds=i / 10),
                         image=np.full((720, 1280, 3), 90, np.uint8)) for i in range(100)]
    gate = WatchedGate(frames)
    options = PipelineOptions(rules=("wrong_way",), gate_busy_s=2.0, gate_rest_s=3.0,
                              gate_threshold=0.0 if busy else 0.0005)
    pipeline = CameraPipeline(camera_id="C1", config=CONFIG, detector=ScriptedDetector(lambda frame: []), fps=10.0,
                              gate=gate, options=options)
    out = pipeline.process(frames, segment_start=T0)
    if busy:
        assert out.frames_detected == 100, name
        # learning the background to frame 9, busy to frame 29, rests 3 s, busy again from 59 to 79
        assert gate.measured == list(range(0, 30)) + list(range(59, 80)), name
    else:
        assert gate.measured == list(range(100)), name
        assert out.frames_detected == 10 + 9, name  # while learning the background, then once a second


def _run_calibrated(boxes_at, frames: int) -> tuple[list, dict[int, list[tuple[int, tuple[float, ...]]]]]:  # type: ignore[no-untyped-def]
    """Wrong-way judging on a calibrated camera (1 px = 5 cm): the violations, and every
    track's (frame, box) as the pipeline saw it."""
    from tests.pipelines.test_rules import _calibrated

    config, _ = _calibrated()
    pipeline = CameraPipeline(camera_id="C1", config=config, detector=ScriptedDetector(boxes_at), fps=25.0,
                              options=PipelineOptions(rules=("wrong_way",)))
    image = np.zeros((720, 1280, 3), np.uint8)
    seen: dict[int, list[tuple[int, tuple[float, ...]]]] = {}

    def note(frame: object, observations: list, phase: str) -> None:  # type: ignore[type-arg]
        for o in observations:
            seen.setdefault(o.track_id, []).append((o.frame_index, o.box))

    video = [VideoFrame(camera_id="C1", index=i, at=T0 + timedelta(seconds=i / 25), image=image) for i in range(frames)]
    out = pipeline.process(video, segment_start=T0, on_frame=note)
    return [*out.violations, *pipeline.close()], seen


@pytest.mark.parametrize(("name", "second_x", "expected"), [
    # 6 px a frame = 7.5 m/s down lane in-2; hidden 1.3 s (behind the traffic it meets) and back
    # on its path, slowed to half its speed: one rider
    ("the same rider, back on its path", 760, 1),
    # another wrong-way rider 5 m to the side, as the first is lost: two riders
    ("another rider, 5 m aside", 860, 2),
])
def test_a_wrong_way_rider_hidden_for_a_second_is_one_violation(name: str, second_x: float, expected: int) -> None:
    def boxes_at(frame: int) -> list[tuple[float, float, float, float]]:
        if frame < 30:
            return [rider_coming_down(760, frame)]
        if frame >= 62:  # bottom at 324 + 96: half of the 192 px its speed would have carried it
            y = 420 + 6 * (frame - 62)
            return [(second_x - 22, y - 90, second_x + 22, y)]
        return []

    found, seen = _run_calibrated(boxes_at, 110)
    assert len(seen) == 2, name  # the tracker gave it a new id
    assert [v.violation_type.value for v in found] == ["wrong_way"] * expected, name


@pytest.mark.parametrize(("name", "follower", "reported"), [
    # a rider (7.5 m/s) hidden 0.9 s comes back 10.5 m on: its speed far up the road read a
    # third low, so further than that speed would have carried it — still the one rider
    ("a rider back further than its measured speed would carry it", False, ["first"]),
    # and a second wrong-way rider in file behind it, on the same path 1.6 s after the first was
    # lost: the first came back on that path before it, so it is another rider
    ("two riders in file", True, ["first", "follower"]),
])
def test_wrong_way_riders_in_file_are_told_apart(name: str, follower: bool, reported: list[str]) -> None:
    def boxes_at(frame: int) -> list[tuple[float, float, float, float]]:
        boxes = []
        if frame < 30:
            boxes.append(rider_coming_down(760, frame))  # bottom 324 at frame 29
        elif 51 <= frame <= 82:
            y = 534 + 6 * (frame - 51)
            boxes.append((738, y - 90, 782, y))
        if follower and frame >= 70:
            y = 424 + 6 * (frame - 70)
            boxes.append((738, y - 90, 782, y))
        return boxes

    found, seen = _run_calibrated(boxes_at, 110)
    rider = {0: "first", 51: "first, back", 70: "follower"}
    assert sorted(rider[max(f for f in rider if f <= seen[v.track_id][0][0])] for v in found) == reported, name


class IdScript:
    """Stands in for ByteTrack where a test needs one of its mistakes exactly: the detector's
    boxes come with the ids ``ids_at(frame)`` gives them, in order."""

    def __init__(self, ids_at) -> None:  # type: ignore[no-untyped-def]
        self._ids_at = ids_at

    def update(self, detections: Detections, frame_index: int | None = None) -> Detections:
        return Detections(xyxy=detections.xyxy, confidence=detections.confidence, class_id=detections.class_id,
                          track_id=np.asarray(self._ids_at(frame_index), np.int64))


@pytest.mark.parametrize(("name", "swap", "expected"), [
    # ids 1 and 2 swap as the wrong-way rider (2) passes the standing one (1): id 1 goes on down
    # with it, id 2 takes a rider coming up the lane — the wrong-way rider once
    ("the ids swap", True, ["wrong_way"]),
    ("the ids hold", False, ["wrong_way"]),
])
def test_a_wrong_way_rider_whose_id_passes_to_a_rider_it_meets_is_one_violation(name: str, swap: bool,
                                                                               expected: list[str]) -> None:
    """Seen for over 3 s before it meets the standing rider (the violation it gave is older than
    ``DUPLICATE_WINDOW_S``) and overlapping it as the ids swap."""
    from tests.pipelines.test_rules import _calibrated

    standing = (738.0, 330.0, 782.0, 420.0)

    def wrong_way(frame: int) -> tuple[float, float, float, float]:
        y = 60 + 4.5 * frame  # 4.5 px (22 cm) a frame down lane in-2: 5.6 m/s
        return (748, y - 90, 792, y)

    def coming_up(frame: int) -> tuple[float, float, float, float]:
        y = 700 - 5 * (frame - 81)
        return (678, y - 90, 722, y)

    def boxes_at(frame: int) -> list[tuple[float, float, float, float]]:
        return [wrong_way(frame), standing] + ([coming_up(frame)] if frame > 80 else [])

    def ids_at(frame: int) -> list[int]:
        return [2, 1] if frame <= 80 else ([1, 3, 2] if swap else [2, 1, 3])

    config, _ = _calibrated()
    pipeline = CameraPipeline(camera_id="C1", config=config, detector=ScriptedDetector(boxes_at), fps=25.0,
                              options=PipelineOptions(rules=("wrong_way",)))
    pipeline.tracker = IdScript(ids_at)  # type: ignore[assignment]
    image = np.zeros((720, 1280, 3), np.uint8)
    video = [VideoFrame(camera_id="C1", index=i, at=T0 + timedelta(seconds=i / 25), image=image) for i in range(130)]
    out = pipeline.process(video, segment_start=T0)
    found = [*out.violations, *pipeline.close()]
    assert [v.violation_type.value for v in found] == expected, name
    assert found[0].track_id == 2, name


def test_a_second_id_of_a_vehicle_judged_after_its_first_id_is_forgotten_repeats_nothing() -> None:
    """A car in the motorbike lane (in-2) gets a second id in the last frame its first id is
    seen (both boxes on it), as the tracker does on a far bus. The second id reads it as a
    motorbike for a while (far, small), so it is judged a car in the wrong lane only after the
    first id was lost and forgotten (1.5 s): still the one vehicle, one violation."""
    def car(frame: int) -> tuple[float, float, float, float]:
        y = 600 - 1.5 * frame  # driving away up the lane, 1.5 px a frame
        return (700, y - 80, 800, y)

    def boxes_at(frame: int) -> list[tuple[tuple[float, float, float, float], str]]:
        if frame < 80:
            return [(car(frame), "car")]
        if frame == 80:
            return [(car(frame), "car"), ((702, car(frame)[1] + 2, 798, car(frame)[3]), "motorbike")]
        return [(car(frame), "motorbike" if frame < 140 else "car")]

    def ids_at(frame: int) -> list[int]:
        return [1] if frame < 80 else ([1, 2] if frame == 80 else [2])

    pipeline = CameraPipeline(camera_id="C1", config=CONFIG, detector=ClassedDetector(boxes_at), fps=25.0,
                              options=PipelineOptions(rules=("wrong_lane",)))
    pipeline.tracker = IdScript(ids_at)  # type: ignore[assignment]
    image = np.zeros((720, 1280, 3), np.uint8)
    judged: set[int] = set()
    video = [VideoFrame(camera_id="C1", index=i, at=T0 + timedelta(seconds=i / 25), image=image) for i in range(300)]
    out = pipeline.process(video, segment_start=T0, on_frame=lambda f, seen, p: judged.update(
        o.track_id for o in seen if o.track_id == 2 and o.vehicle_class == "car"))
    found = [*out.violations, *pipeline.close()]
    assert judged == {2}  # the second id did come to read the car
    assert [(v.violation_type.value, v.track_id) for v in found] == [("wrong_lane", 1)]


@pytest.mark.parametrize(("name", "px_per_frame", "back_where", "expected"), [
    # driving away slowly far up the road, hidden 2 s, back where it was going: one car
    ("the car comes back where it was going", 0.3, "going", [("wrong_lane", 1)]),
    # cars in file: the next one, hidden behind the first, appears where the first was lost
    ("the next car of a file appears where the first was lost", 1.5, "lost", [("wrong_lane", 1), ("wrong_lane", 2)]),
])
def test_a_car_hidden_for_two_seconds_comes_back_as_itself(name: str, px_per_frame: float, back_where: str,
                                                           expected: list[tuple[str, int]]) -> None:
    """A car in the motorbike lane (in-2) driving away is judged under id 1, then hidden for 2 s
    (50 frames) behind the traffic; a car comes back under id 2 and drives on."""
    def y_at(frame: int) -> float:
        if back_where == "going" or frame < 100:
            return 600 - px_per_frame * frame
        return 600 - px_per_frame * (frame - 50)  # the next car, 50 frames behind

    def boxes_at(frame: int) -> list[tuple[tuple[float, float, float, float], str]]:
        if 100 < frame < 150:
            return []
        y = y_at(frame)
        return [((700, y - 80, 800, y), "car")]

    pipeline = CameraPipeline(camera_id="C1", config=CONFIG, detector=ClassedDetector(boxes_at), fps=25.0,
                              options=PipelineOptions(rules=("wrong_lane",)))
    pipeline.tracker = IdScript(lambda frame: [1] if frame <= 100 else ([] if frame < 150 else [2]))  # type: ignore[assignment]
    image = np.zeros((720, 1280, 3), np.uint8)
    video = [VideoFrame(camera_id="C1", index=i, at=T0 + timedelta(seconds=i / 25), image=image) for i in range(260)]
    out = pipeline.process(video, segment_start=T0)
    found = [*out.violations, *pipeline.close()]
    assert [(v.violation_type.value, v.track_id) for v in found] == expected, name


def test_two_cars_parked_nose_to_tail_far_up_the_picture_are_two_stops() -> None:
    """Boxes from a 9003 bench clip on Trần Phú: the car in front (far, smaller) and a new id
    on the car parked behind it, whose first three boxes took in both. For stops they are two
    vehicles; a part of a parked car's box inside its whole box is one. For other violations a
    third of overlap in one frame is enough (a rider and its bike)."""
    from pipelines.camera_pipeline import _boxes_overlap
    front = (772.0, 162.0, 869.0, 254.0)
    behind = [(779.0, 166.0, 913.0, 295.0), (785.0, 189.0, 905.0, 293.0), (783.0, 183.0, 907.0, 294.0)] + \
        [(786.0, 197.0, 915.0, 299.0), (788.0, 196.0, 925.0, 307.0), (791.0, 195.0, 924.0, 305.0)] * 2 + \
        [(787.0, 196.0, 929.0, 307.0)]
    pairs = [(b, front) for b in behind]
    assert not _boxes_overlap(ViolationType.ILLEGAL_STOP, pairs)
    assert _boxes_overlap(ViolationType.WRONG_LANE, pairs)
    part = [((790.0, 200.0, 900.0, 260.0), b) for b in behind]  # the upper half of the car behind
    assert _boxes_overlap(ViolationType.ILLEGAL_STOP, part)


class OnePlateReader:
    """Reads the same plate, confidently, on whatever it is shown."""

    def read(self, crops, *, vehicle_class=None, open_below=()):  # type: ignore[no-untyped-def]
        from pipelines.plates import PlateRead
        return PlateRead(text="68A-123.45", confidence=0.99, needs_review=False, crop=crops[0])


@pytest.mark.parametrize(("name", "second_x", "second_from", "reviewed"), [
    ("two riders side by side read as one plate", 820, 0, [False, True]),
    ("the same plate on a rider seen after the first had gone", 760, 60, [False, False]),
])
def test_one_plate_read_on_two_vehicles_at_once_goes_to_review(name: str, second_x: float, second_from: int,
                                                               reviewed: list[bool]) -> None:
    def boxes_at(frame: int) -> list[tuple[float, float, float, float]]:
        out = [wrong_way_rider(700, frame)] if frame < 50 else []
        return out + ([wrong_way_rider(second_x, frame - second_from)] if frame >= second_from else [])
    pipeline = CameraPipeline(camera_id="C1", config=CONFIG, detector=ScriptedDetector(boxes_at), fps=25.0,
                              options=PipelineOptions(rules=("wrong_way",)), plate_reader=OnePlateReader())  # type: ignore[arg-type]
    image = np.zeros((720, 1280, 3), np.uint8)
    frames = [VideoFrame(camera_id="C1", index=i, at=T0 + timedelta(seconds=i / 25), image=image) for i in range(120)]
    out = pipeline.process(frames, segment_start=T0)
    found = sorted((*out.violations, *pipeline.close()), key=lambda v: v.occurred_at)
    assert [v.plate_needs_review for v in found] == reviewed, name
    assert all(v.plate_text == "68A-123.45" for v in found)
