"""One camera's pipeline: decode → motion gate → detect → track → rules → plate → evidence.

Contract: a ``CameraPipeline`` is built once per camera and fed consecutive segments with
``process(frames, segment_start=...)``; tracker, track memory, rule state and counts
carry over, so a vehicle crossing a segment boundary is one track. ``process`` returns a
``SegmentOutput`` with the ``Violation`` records finalised during the segment (their
evidence already written) and the cumulative 15-minute ``CountBin`` records. ``close()``
ends every open track (judging speeding) and flushes pending evidence with the frames
at hand. Violation ids are deterministic: (camera, segment start, track, type).

One plate, one vehicle: a confident plate read that one of the camera's recent violations
(``PLATE_MEMORY``) already read on another vehicle seen at the same moment — their boxes
apart in a frame both were in — is wrong for one of the two, and goes to review.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from analytics.records import CountBin, Violation, ViolationType
from analytics.scene_config import SceneConfig
from pipelines.captions import Captions, phase_vi
from pipelines.classes import TWO_WHEELERS
from pipelines.counting import Counter15
from pipelines.detect_motion import MotionDetector
from pipelines.detections import Detections
from pipelines.evidence import EvidenceInput, FrameRing, write_evidence
from pipelines.frames import FeedError, VideoFileSource, VideoFrame
from pipelines.geometry import GroundMap, box_iou, box_nested_share, box_share_on
from pipelines.plates import SUGGESTION_CONFIDENCE, PlateRead, PlateReader
from pipelines.rules.base import FrameContext, Observation, Rule, RuleHit
from pipelines.rules.illegal_stop import STAY_OVERLAP, IllegalStopRule
from pipelines.rules.no_helmet import NoHelmetRule
from pipelines.rules.red_light import RedLightRule
from pipelines.rules.speeding import SpeedingRule
from pipelines.rules.stop_line import StopLineRule
from pipelines.rules.stop_line_geometry import StopLineGeometry
from pipelines.rules.wrong_lane import WrongLaneRule
from pipelines.rules.wrong_way import WrongWayRule
from pipelines.signal_state import SignalReader
from pipelines.track_book import TrackBook, TrackMemory
from pipelines.tracking import Tracker

log = logging.getLogger(__name__)
VN = timezone(timedelta(hours=7))
LABELS = {
    ViolationType.RED_LIGHT: "VƯỢT ĐÈN ĐỎ", ViolationType.STOP_LINE: "DỪNG VƯỢT VẠCH",
    ViolationType.WRONG_WAY: "ĐI NGƯỢC CHIỀU", ViolationType.WRONG_LANE: "ĐI SAI LÀN",
    ViolationType.ILLEGAL_STOP: "DỪNG, ĐỖ SAI QUY ĐỊNH", ViolationType.SPEEDING: "QUÁ TỐC ĐỘ",
    ViolationType.NO_HELMET: "KHÔNG ĐỘI MŨ BẢO HIỂM",
}


DUPLICATE_WINDOW_S = 3.0
ENDED_HIT_MEMORY_S = 60.0
# a wrong-way rider hidden behind the traffic it meets comes back this much later, or the tracker
# swaps its id with a rider it passes (boxes overlapping by this IoU) as its run begins
WRONG_WAY_HIDDEN_S = 2.0
SWAP_IOU = 0.25
SPEED_SLACK = 1.5  # how much faster than its measured speed a hidden rider may have gone on
# a car, bus or truck far up the road, hidden this long behind the traffic, comes back where
# its motion in the picture was carrying it (beyond the ground calibration's reach)
HIDDEN_VEHICLE_S = 3.0


class Detector(Protocol):
    name: str
    helmet_classes: bool
    track_confidence: float  # median confidence a track must reach before it counts (TrackBook)

    def detect(self, image: np.ndarray) -> Detections: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class PipelineOptions:
    detect_every: int = 1  # run detection on every n-th frame
    gate_refresh_s: float = 1.0  # with motion gating, detect at least this often
    gate_threshold: float = 0.0005  # share of the picture that must change to run the detector (a far rider)
    gate_busy_s: float = 30.0  # a gate that has let every frame through for this long ...
    gate_rest_s: float = 60.0  # ... stops measuring for this long (on a busy road it only costs)
    pre_s: float = 3.0
    post_s: float = 3.0
    rules: tuple[str, ...] = tuple(t.value for t in ViolationType)


@dataclass(frozen=True, kw_only=True, slots=True)
class SegmentOutput:
    violations: tuple[Violation, ...]
    count_bins: tuple[CountBin, ...]
    frames_read: int
    frames_detected: int
    warnings: tuple[str, ...]


@dataclass
class _Pending:
    hit: RuleHit
    due_frame: int
    segment_start: datetime
    key: tuple[int, str]  # (vehicle, type): see CameraPipeline._queue


@dataclass
class _Overlay:
    """What the annotated review video shows on frames between detections."""

    boxes: list[tuple[int, Box, str, bool]] = field(default_factory=list)  # (track, box, class, confirmed)
    hits: list[tuple[int, str]] = field(default_factory=list)  # (until frame, text)


Box = tuple[float, float, float, float]


def _born_on(mine: TrackMemory, other: TrackMemory) -> bool:
    """``mine`` began on ``other``'s box: a second box of the same vehicle, not a vehicle of its own."""
    first = mine.boxes.get(mine.first_frame)
    there = other.boxes.get(mine.first_frame)
    return first is not None and there is not None and box_iou(first, there) >= 0.3


PLATE_MEMORY = 64  # recent violations' plates kept to tell one plate read on two vehicles


def violation_id(camera_id: str, segment_start: datetime, track_id: int, violation_type: str) -> str:
    key = f"{camera_id}|{segment_start.astimezone(timezone.utc).isoformat()}|{track_id}|{violation_type}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


class CameraPipeline:
    def __init__(self, *, camera_id: str, config: SceneConfig, detector: Detector, fps: float,
                 gate: MotionDetector | None = None, plate_reader: PlateReader | None = None,
                 evidence_root: Path | None = None, options: PipelineOptions = PipelineOptions(),
                 run_id: str | None = None) -> None:
        self.camera_id = camera_id
        self.config = config
        self.detector = detector
        self.gate = gate
        self.fps = fps
        self.options = options
        self.plate_reader = plate_reader
        self.evidence_root = evidence_root
        self.run_id = run_id
        detect_fps = fps / max(1, options.detect_every)
        self.tracker = Tracker(fps=detect_fps, video_fps=fps)
        lost = int(round(1.5 * fps))
        self.book = TrackBook(config, fps=fps, lost_frames=lost,
                              box_memory_frames=int(fps * (options.pre_s + options.post_s + 4)),
                              confirm_confidence=detector.track_confidence)
        self.signal = SignalReader(config.signal)
        self.counter = Counter15(camera_id, config)
        self.ring = FrameRing(fps=fps, seconds=options.pre_s + options.post_s + 2.0)
        self.warnings: list[str] = []
        self.rules = self._build_rules()
        self._pending: list[_Pending] = []
        self._frames_since_detect = 10 ** 9
        self._gate_quiet_at = 0  # last frame the gate found quiet (or began or resumed watching)
        self._gate_rest_until: int | None = None  # the gate rests until this frame
        self._last_ctx: FrameContext | None = None
        self._overlay = _Overlay()
        self._emitted: set[tuple[int, str]] = set()  # (vehicle, type): see _queue
        self._first_id: dict[int, int] = {}  # track id → the first id of the chain of ids it continues
        # for one-vehicle-two-tracks duplicates: each hit with its track's memory, kept after the track ends
        self._recent_hits: list[tuple[RuleHit, TrackMemory]] = []
        self._ended: dict[int, TrackMemory] = {}  # tracks begun and forgotten within the post-roll: see _part_of_a_car
        self._segment_start: datetime | None = None
        self._signal_read = -10 ** 9
        self._plates_read: deque[tuple[str, frozenset[int], dict[int, Box]]] = deque(maxlen=PLATE_MEMORY)
        self._last_phase = "unknown"

    # --- set-up -------------------------------------------------------------------------

    def _build_rules(self) -> list[Rule]:
        wanted = set(self.options.rules)
        cfg = self.config
        ground = GroundMap.from_calibration(cfg.speed.image_points, cfg.speed.ground_points) if cfg.speed else None
        rules: list[Rule] = []
        if cfg.stop_line is not None and cfg.signal is not None:
            line = StopLineGeometry(cfg, ground)
            if "red_light" in wanted:
                rules.append(RedLightRule(line))
            if "stop_line" in wanted:
                if ground is None:
                    self.warnings.append("stop_line: cần hiệu chuẩn tốc độ (speed) để đo khoảng cách — không chạy")
                else:
                    rules.append(StopLineRule(line))
        if cfg.lanes and "wrong_way" in wanted:
            rules.append(WrongWayRule(cfg))
        if cfg.lanes and "wrong_lane" in wanted:
            rules.append(WrongLaneRule(cfg))
        if cfg.no_stopping_zones and "illegal_stop" in wanted:
            rules.append(IllegalStopRule(cfg))
        if cfg.speed is not None and "speeding" in wanted:
            detect_fps = self.fps / max(1, self.options.detect_every)
            rules.append(SpeedingRule(cfg.speed.limit_kmh, tolerance_kmh=cfg.speed.tolerance_kmh,
                                      min_samples=3 if detect_fps < 10 else 4,
                                      far_edge_y=min(p[1] for p in cfg.speed.image_points)))
        if "no_helmet" in wanted:
            if self.detector.helmet_classes:
                rules.append(NoHelmetRule())
            else:
                self.warnings.append("no_helmet: không khả dụng — mô hình không có lớp mũ bảo hiểm")
        return rules

    # --- per frame ----------------------------------------------------------------------

    def process(self, frames: Iterable[VideoFrame], *, segment_start: datetime,
                on_frame: Callable[[VideoFrame, list[Observation], str], None] | None = None,
                annotate: Callable[[np.ndarray], None] | None = None) -> SegmentOutput:
        """Run every frame of one segment; see the module contract."""
        self._segment_start = segment_start
        read = detected = 0
        out: list[Violation] = []
        recording = frames.path if isinstance(frames, VideoFileSource) else None  # evidence re-read from it
        for frame in frames:
            due = self._frames_since_detect + 1 >= self.options.detect_every
            try:
                phase = self._phase(frame, look=due or annotate is not None)
                self.ring.push(frame.index, frame.at, None if recording else frame.image, phase, recording=recording)
                image = frame.image if due else None
            except FeedError as exc:  # this frame cannot be decoded: the run ends partial (the source says why)
                self.warnings.append(str(exc))
                break
            read += 1
            ctx = FrameContext(frame_index=frame.index, at=frame.at, signal=phase)
            self._last_ctx = ctx
            observations: list[Observation] = []
            if image is not None:
                dets = self._detect(image, frame.index)
                if dets is not None:
                    detected += 1
                    self._frames_since_detect = 0
                    observations = self._track(dets, frame)
                    self._apply_rules(observations, ctx, segment_start)
                else:
                    self._frames_since_detect += 1
            else:
                self._frames_since_detect += 1
            for tid in self.book.expired(frame.index):
                self._end_track(tid, ctx, segment_start)
            out.extend(self._finalise(frame.index))
            if on_frame is not None:
                on_frame(frame, observations, phase)
            if annotate is not None:
                annotate(self._draw(frame, observations, phase))
        warnings = list(self.warnings) + self.signal.errors
        return SegmentOutput(violations=tuple(out), count_bins=self.counter.bins(), frames_read=read,
                             frames_detected=detected, warnings=tuple(dict.fromkeys(warnings)))

    def _phase(self, frame: VideoFrame, *, look: bool) -> str:
        """The signal phase at ``frame``. Lamps are read on the frames the pipeline looks at
        anyway (``look``) and at least every ``detect_every`` frames; in between the last
        reading holds, so frames nobody looks at are never converted to pictures."""
        if self.signal.needs_image and not look and frame.index - self._signal_read < self.options.detect_every:
            return self._last_phase
        self._signal_read = frame.index
        self._last_phase = self.signal.phase(frame.at, frame.image if self.signal.needs_image else None)
        return self._last_phase

    def _detect(self, image: np.ndarray, index: int) -> Detections | None:
        """Detections on ``image``, or None when the motion gate finds the picture quiet.
        A gate that has found no quiet frame for ``gate_busy_s`` rests for ``gate_rest_s``:
        every due frame is detected meanwhile, so resting never loses a vehicle."""
        if self._gate_rest_until is not None and index >= self._gate_rest_until:
            self._gate_rest_until, self._gate_quiet_at = None, index
        if self.gate is not None and self._gate_rest_until is None:
            self.gate.measure(image)
            # while the background model is learnt it sees no motion: detect on every frame
            warming = self.gate.frames_seen <= self.fps
            quiet = self.gate.motion_fraction < self.options.gate_threshold and not warming
            if quiet or warming:
                self._gate_quiet_at = index
            elif index - self._gate_quiet_at >= self.options.gate_busy_s * self.fps:
                self._gate_rest_until = index + int(self.options.gate_rest_s * self.fps)
            fresh = self._frames_since_detect + 1 < max(1, int(self.options.gate_refresh_s * self.fps))
            if quiet and fresh:
                return None
        return self.detector.detect(image)

    def _track(self, dets: Detections, frame: VideoFrame) -> list[Observation]:
        tracked = self.tracker.update(dets, frame.index)
        helmetless = dets.extra.get("no_helmet")
        observations = self.book.observe(tracked, frame.index, frame.at, frame.image, helmetless)
        for obs in observations:
            if obs.continues is not None and obs.track_id not in self._first_id:
                self._first_id[obs.track_id] = self._first_id.get(obs.continues, obs.continues)
        self.counter.observe(observations)
        self._overlay.boxes = [(o.track_id, o.box, o.vehicle_class, o.confirmed) for o in observations]
        return observations

    def _apply_rules(self, observations: list[Observation], ctx: FrameContext, segment_start: datetime) -> None:
        for rule in self.rules:
            for hit in rule.observe(observations, ctx):
                self._queue(hit, segment_start)

    def _end_track(self, track_id: int, ctx: FrameContext, segment_start: datetime) -> None:
        self._finish_rules(track_id, ctx, segment_start)
        if any(p.hit.track_id == track_id for p in self._pending):
            self._first_id.pop(track_id, None)
        else:
            self._forget(track_id, ctx)

    def _finish_rules(self, track_id: int, ctx: FrameContext, segment_start: datetime) -> None:
        for rule in self.rules:
            for hit in rule.finish(track_id, ctx):
                self._queue(hit, segment_start)

    def _forget(self, track_id: int, ctx: FrameContext) -> None:
        mem = self.book.drop(track_id, ctx.frame_index)
        keep = ctx.frame_index - int((self.options.pre_s + self.options.post_s) * self.fps)
        self._ended = {t: m for t, m in self._ended.items() if m.first_frame >= keep}
        if mem is not None and mem.first_frame >= keep and mem.vehicle_class not in TWO_WHEELERS:
            self._ended[track_id] = mem
        self.counter.forget(track_id)
        self._first_id.pop(track_id, None)  # a track continuing it began within CONTINUE_S, long before

    def _queue(self, hit: RuleHit, segment_start: datetime) -> None:
        """Keep ``hit`` for evidence once its post-roll is recorded — unless the vehicle already
        gave this violation, under this id, a second box of it, or an earlier id of the chain of
        ids this one continues (TrackBook). A rider's chain counts only for wrong_way: in a swarm
        the box a lost rider leaves is as often the next rider's, and two motorbikes in the car
        lane one after the other are two violations, while two wrong-way riders in a row, the
        second starting where the first was lost, are rare.

        An earlier id's hit still waiting for its post-roll, of a vehicle the detector has not yet
        been sure of (``_confirmed``), does not stand in for this one: it may be dropped then, and
        this id's hit is the vehicle's next chance (a car standing half out of the frame at red
        under three ids at 6 fps, sure only once it drove off — ``_finalise`` gives one of them)."""
        chain = hit.vehicle_class not in TWO_WHEELERS or hit.violation_type is ViolationType.WRONG_WAY
        key = (self._first_id.get(hit.track_id, hit.track_id) if chain else hit.track_id, hit.violation_type.value)
        if key in self._emitted:
            return
        waiting = [p for p in self._pending if p.key == key]
        if waiting and any(self._confirmed(p.hit, p.key[0]) for p in waiting):
            return
        if self._same_vehicle_already(hit):
            if not waiting:
                self._emitted.add(key)
            return
        if (mem := self.book.tracks.get(hit.track_id)) is not None:
            self._recent_hits.append((hit, mem))
        self._pending.append(_Pending(hit=hit, due_frame=hit.frame_index + int(self.options.post_s * self.fps),
                                      segment_start=segment_start, key=key))
        self._overlay.hits.append((hit.frame_index + int(2 * self.fps),
                                   f"#{hit.track_id} {LABELS[hit.violation_type]}"))

    def _same_vehicle_already(self, hit: RuleHit) -> bool:
        """Whether another track of the same vehicle gave this violation in the last
        ``DUPLICATE_WINDOW_S``: the detector gave one vehicle two boxes (rider and bike) or
        the tracker re-assigned its id while it grew fast towards the camera. The tracks are
        the same vehicle when their boxes overlap in a frame both were seen, or when one
        ended at most half a second before the other began where the first was last seen —
        or, on the ground, where the first was going (a wrong-way rider hidden for a few
        frames behind parked cars reappears well down the picture: perspective speeds it up
        in the image, not on the road). The continuation holds however long ago the first
        track's violation was (a car standing in the wrong lane whose id changed 15 s later), and
        so does a second box of it: a track born on the box of the track that gave the violation,
        as the tracker does on a far car (a bus judged near the camera got a second id 16 s later,
        far up the road). A car, bus or truck may be hidden for up to ``HIDDEN_VEHICLE_S`` and
        come back where its motion in the picture was carrying it, on its last box
        (``_continues_in_the_picture``): a bus far up the road, where the ground calibration no
        longer places it, lost behind a lorry for 2 s at 480p. The next car of a file, born
        where the first was lost, is not where the first was going.

        A wrong-way rider meets the whole traffic head-on: it may be hidden for up to
        ``WRONG_WAY_HIDDEN_S`` and come back on its path on the ground (slowed by the traffic
        it meets, so anywhere up to where it was going) — unless another rider came back on
        that path first, going its way (the next of riders in file is not the first), or the
        tracker may hand its id to a rider it passes and give it that rider's (a rider standing
        in a swarm then seems to set off against the lane). A wrong-way run that begins within
        a second of its box overlapping (``SWAP_IOU``) the box of the track that already gave the
        violation is that vehicle's, however long ago that violation was.

        The track that gave the earlier violation may have ended before this one's hit is
        judged (a far track needs 3 s in the wrong lane, a far car read as a motorbike is judged
        once its class vote turns): its memory is kept for ``ENDED_HIT_MEMORY_S`` after it ended
        and compared as if it were live — a bus far up the road took a second id in the frame
        its first one was last seen."""
        window = int(DUPLICATE_WINDOW_S * self.fps)
        self._recent_hits = [(h, m) for h, m in self._recent_hits
                             if hit.frame_index - max(h.frame_index, m.last_frame) <= ENDED_HIT_MEMORY_S * self.fps
                             or h.track_id in self.book.tracks]
        mine = self.book.tracks.get(hit.track_id)
        if mine is None or not mine.boxes:
            return False
        for earlier, other in self._recent_hits:
            if earlier.violation_type is not hit.violation_type or not other.boxes:
                continue
            shared = sorted(set(mine.boxes) & set(other.boxes))
            if ((hit.frame_index - earlier.frame_index <= window or _born_on(mine, other)) and shared
                    and _boxes_overlap(hit.violation_type, [(mine.boxes[i], other.boxes[i]) for i in shared[-10:]])):
                return True
            first, last = min(mine.boxes), max(other.boxes)
            if 0 <= first - last <= 0.5 * self.fps and (box_iou(mine.boxes[first], other.boxes[last]) >= 0.1
                                                         or _continues_on_the_ground(other, mine)):
                return True
            if (0 <= first - last <= HIDDEN_VEHICLE_S * self.fps and hit.vehicle_class not in TWO_WHEELERS
                    and other.vehicle_class not in TWO_WHEELERS and _continues_in_the_picture(other, mine, self.fps)):
                return True
            if hit.violation_type is ViolationType.WRONG_WAY and (
                    0 <= first - last <= WRONG_WAY_HIDDEN_S * self.fps and _on_the_path(other, mine)
                    and not self._path_taken(other, mine)
                    or any(box_iou(mine.boxes[i], other.boxes[i]) >= SWAP_IOU for i in shared
                           if hit.frame_index - self.fps <= i <= hit.frame_index)):
                return True
        return False

    def _path_taken(self, lost: TrackMemory, mine: TrackMemory) -> bool:
        """Whether another two-wheeler came back on ``lost``'s path before ``mine`` began, going
        its way: the first to appear on a hidden rider's path is that rider. Wrong-way riders
        ride in file, the next one a second or two behind on the same path."""
        begun, going = min(mine.boxes), lost.ground_heading
        return going is not None and any(
            t.track_id not in (mine.track_id, lost.track_id) and t.vehicle_class in TWO_WHEELERS
            and max(lost.boxes) < t.first_frame < begun and _on_the_path(lost, t)
            and t.ground_heading is not None and t.ground_heading[0] * going[0] + t.ground_heading[1] * going[1] > 0
            for t in self.book.tracks.values())

    # --- violations ---------------------------------------------------------------------

    def _finalise(self, frame_index: int, *, flush: bool = False) -> list[Violation]:
        ready = [p for p in self._pending if flush or p.due_frame <= frame_index]
        if not ready:
            return []
        self._pending = [p for p in self._pending if p not in ready]
        given = []
        for p in ready:
            if p.key in self._emitted or not self._confirmed(p.hit, p.key[0]):
                continue  # given already under an earlier id, or left for a later id of the chain
            self._emitted.add(p.key)
            if not self._part_of_a_car(p.hit):
                given.append(self._violation(p))
        return given

    def _confirmed(self, hit: RuleHit, first: int) -> bool:
        """Whether the detector was ever sure of the violating vehicle (``TrackBook``) by the
        end of the post-roll: a track of boxes it only half believed — lane dashes between
        two cars read as a bicycle — raises no violation. The vehicle is the hit's id, the id
        it came from, and, for a car, bus or truck, the later ids continuing its chain, whose
        first id is ``first`` (taken when the hit was queued: the hit's id may have ended since)."""
        ids = [hit.track_id] + ([hit.origin_track_id] if hit.origin_track_id is not None else [])
        memories = [m for i in ids if (m := self.book.tracks.get(i)) is not None]
        if not memories or any(m.confirmed for m in memories):
            return True
        if hit.vehicle_class in TWO_WHEELERS and hit.violation_type is not ViolationType.WRONG_WAY:
            return False
        return any(m.confirmed for t, m in self.book.tracks.items() if self._first_id.get(t) == first)

    def _later_in_chain(self, pending: _Pending) -> list[int]:
        """The live ids of a car, bus or truck that began after the hit's id and continue its
        chain (``TrackBook``: the same vehicle under later ids)."""
        hit = pending.hit
        if hit.vehicle_class in TWO_WHEELERS and hit.violation_type is not ViolationType.WRONG_WAY:
            return []
        mem = self.book.tracks.get(hit.track_id)
        began = mem.first_frame if mem is not None else hit.frame_index
        return [t for t, m in self.book.tracks.items()
                if t not in (hit.track_id, hit.origin_track_id) and m.first_frame > began
                and self._first_id.get(t) == pending.key[0]]

    def _part_of_a_car(self, hit: RuleHit) -> bool:
        """Whether a two-wheeler judged for its lane was a part of a car, bus or truck: by the
        end of the post-roll its track voted car, or a car track took its box over — began at
        most half a second after it ended, on its last box (at least 0.8 of it), or up to a
        second before it ended and held its box in every frame both were seen, going on after
        it. At night the detector takes one headlight of a car coming towards the camera for a
        motorbike until it sees the whole car, and by day the strip of a car seen past a bus;
        it may keep the strip's track a moment after it sees the whole car, and the car's own
        track may be over, and forgotten, before the post-roll is (``_ended`` keeps it)."""
        if hit.violation_type is not ViolationType.WRONG_LANE or hit.vehicle_class not in TWO_WHEELERS:
            return False
        mine = self.book.tracks.get(hit.track_id)
        last = mine.boxes.get(mine.last_frame) if mine is not None else None
        if mine is None or last is None:
            return False
        if mine.vehicle_class not in TWO_WHEELERS:
            return True  # the same track, once the car was seen whole, voted car
        after, before = max(2, int(0.5 * self.fps)), max(2, int(self.fps))
        for car in [*self.book.tracks.values(), *self._ended.values()]:
            if (car.track_id == mine.track_id or car.vehicle_class in TWO_WHEELERS
                    or not -before <= car.first_frame - mine.last_frame <= after):
                continue
            if car.first_frame > mine.last_frame:
                first = car.boxes.get(car.first_frame)
                if first is not None and box_share_on(last, first) >= 0.8:
                    return True
                continue
            shared = [f for f in mine.boxes if f >= car.first_frame and f in car.boxes]
            if (shared and car.last_frame > mine.last_frame
                    and all(box_share_on(mine.boxes[f], car.boxes[f]) >= 0.8 for f in shared)):
                return True
        return False

    def _violation(self, pending: _Pending) -> Violation:
        hit = pending.hit
        vid = violation_id(self.camera_id, pending.segment_start, hit.track_id, hit.violation_type.value)
        mem = self.book.tracks.get(hit.track_id)
        # only the stretch of the track the violation happened in: after a gap its id may hold another vehicle
        views = self.book.views(hit.track_id, hit.frame_index)
        opened = self.book.open_views(hit.track_id, hit.frame_index)
        first_of, last_of = self.book.stretch(hit.track_id, hit.frame_index)
        if hit.origin_track_id is not None:  # the same vehicle under its earlier id
            views = sorted(views + self.book.views(hit.origin_track_id), key=lambda v: -v[0])
            opened = sorted(opened + self.book.open_views(hit.origin_track_id), key=lambda v: -v[0])
        owner = {i: hit.track_id for i in mem.boxes if first_of <= i <= last_of} if mem else {}
        if hit.origin_track_id is not None and hit.origin_track_id in self.book.tracks:
            start = min(owner, default=hit.frame_index + 1)  # before this id began: its earlier id
            owner |= {i: hit.origin_track_id for i in self.book.tracks[hit.origin_track_id].boxes if i < start}
        mine = {i: self.book.tracks[t].boxes[i] for i, t in owner.items()}  # the violating vehicle's boxes
        read = self._read_plate(views, opened, hit.vehicle_class)
        if read.text is None and (later := self._later_in_chain(pending)):
            # the vehicle's later ids (confirmed through them: _confirmed) may have seen its plate
            more = [v for t in later for v in self.book.views(t, self.book.tracks[t].first_frame)]
            more_open = [v for t in later for v in self.book.open_views(t, self.book.tracks[t].first_frame)]
            if more or more_open:
                again = self._read_plate(sorted(views + more, key=lambda v: -v[0]),
                                         sorted(opened + more_open, key=lambda v: -v[0]), hit.vehicle_class)
                read = again if again.text is not None else read
        plate = self._one_plate_one_vehicle(hit, read, mine)
        evidence_path = None
        if self.evidence_root is not None:
            first = hit.frame_index - int(self.options.pre_s * self.fps)
            frames = self.ring.between(first, hit.frame_index + int(self.options.post_s * self.fps))
            if frames:
                others: dict[int, list[Box]] = {}
                for other in self.book.tracks.values():
                    for idx, box in other.boxes.items():
                        if owner.get(idx) != other.track_id:
                            others.setdefault(idx, []).append(box)
                local = hit.at.astimezone(VN).strftime("%d/%m/%Y %H:%M:%S")
                try:
                    evidence_path = write_evidence(self.evidence_root, EvidenceInput(
                        violation_id=vid, camera_id=self.camera_id, violation_label=LABELS[hit.violation_type],
                        hit_frame=hit.frame_index, occurred_at=hit.at, frames=frames,
                        track_boxes=mine,
                        other_boxes=others,
                        stop_line=self.config.stop_line, plate_crop=plate.crop, plate_text=plate.text, fps=self.fps,
                        timezone_label=f"{local} (GMT+7)", finding=hit.detail))
                except (OSError, ValueError) as exc:
                    self.warnings.append(f"{vid}: không ghi được chứng cứ: {exc}")
            else:
                self.warnings.append(f"{vid}: khung hình đã rời bộ đệm, không có clip chứng cứ")
        return Violation(
            violation_id=vid, camera_id=self.camera_id, violation_type=hit.violation_type, occurred_at=hit.at,
            track_id=hit.track_id, vehicle_class=hit.vehicle_class, plate_text=plate.text,
            plate_confidence=plate.confidence, plate_needs_review=plate.needs_review, speed_kmh=hit.speed_kmh,
            evidence_path=evidence_path, run_id=self.run_id, finding=hit.detail)

    def _one_plate_one_vehicle(self, hit: RuleHit, plate: PlateRead, boxes: dict[int, Box]) -> PlateRead:
        """``plate`` for review if a recent violation read it on another vehicle seen at the same
        moment (boxes apart in a frame both were in); remembers the read either way."""
        if plate.text is None:
            return plate
        ids = frozenset(i for i in (hit.track_id, hit.origin_track_id) if i is not None)
        if not plate.needs_review and any(
                text == plate.text and not ids & other_ids
                and any(box_nested_share(boxes[f], other[f]) < STAY_OVERLAP for f in boxes.keys() & other.keys())
                for text, other_ids, other in self._plates_read):
            plate = replace(plate, needs_review=True, confidence=min(plate.confidence or 0.0, SUGGESTION_CONFIDENCE))
        self._plates_read.append((plate.text, ids, dict(boxes)))
        return plate

    def _read_plate(self, crops: list[tuple[float, np.ndarray]], opened: list[tuple[float, np.ndarray]],
                    vehicle_class: str) -> PlateRead:
        """The plate on the track's clear views, then on its views running out of the bottom of
        the picture (read only where the text stops short of that edge)."""
        every = [crop for _, crop in crops + opened]
        if self.plate_reader is None or not every:
            return PlateRead(text=None, confidence=None, needs_review=True, crop=every[0] if every else None)
        return self.plate_reader.read(every, vehicle_class=vehicle_class,
                                      open_below=[False] * len(crops) + [True] * len(opened))

    def close(self) -> list[Violation]:
        """End of the stream: end every track and write what is pending (the tracks are
        forgotten after, so what is pending is still judged against every vehicle seen)."""
        ctx = self._last_ctx
        if ctx is None or self._segment_start is None:
            return self._finalise(0, flush=True)
        for tid in list(self.book.tracks):
            self._finish_rules(tid, ctx, self._segment_start)
        out = self._finalise(ctx.frame_index, flush=True)
        for tid in list(self.book.tracks):
            self._forget(tid, ctx)
        return out

    # --- review video -------------------------------------------------------------------

    def _draw(self, frame: VideoFrame, observations: list[Observation], phase: str) -> np.ndarray:
        img = frame.image.copy()
        for lane in self.config.lanes:
            cv2.polylines(img, [np.asarray(lane.polygon, np.int32)], True, (180, 180, 180), 1)
        for zone in self.config.no_stopping_zones:
            cv2.polylines(img, [np.asarray(zone.polygon, np.int32)], True, (0, 165, 255), 2)
        if self.config.stop_line is not None:
            (x1, y1), (x2, y2) = self.config.stop_line
            cv2.line(img, (int(x1), int(y1)), (int(x2), int(y2)), (0, 0, 255) if phase == "red" else (0, 220, 0), 2)
        (cx1, cy1), (cx2, cy2) = self.counter.line
        cv2.line(img, (int(cx1), int(cy1)), (int(cx2), int(cy2)), (255, 200, 0), 1)
        captions = Captions(img)
        for tid, box, cls, confirmed in self._overlay.boxes:
            x1, y1, x2, y2 = (int(v) for v in box)
            # a track the detector is not yet sure of is neither counted nor judged: grey, with "?"
            colour = (0, 255, 255) if confirmed else (160, 160, 160)
            cv2.rectangle(img, (x1, y1), (x2, y2), colour, 2 if confirmed else 1)
            captions.add(f"{tid} {cls}" + ("" if confirmed else " ?"), (x1, max(0, y1 - 16)), size=13,
                         colour_bgr=colour)
        self._overlay.hits = [(until, text) for until, text in self._overlay.hits if until >= frame.index]
        for row, (_, text) in enumerate(self._overlay.hits[-6:]):
            captions.add(text, (12, 52 + 26 * row), size=20, colour_bgr=(0, 0, 255), bold=True)
        captions.add(f"đèn: {phase_vi(phase)}  bộ phát hiện: {self.detector.name}", (12, img.shape[0] - 32), size=18,
                     bold=True)
        return captions.render()


@dataclass(frozen=True, slots=True)
class _Gap:
    """Where a lost track was on the ground a second before its end and at its end, and where and
    when the track after it was first placed."""
    old_at: datetime
    old: tuple[float, float]
    end_at: datetime
    end: tuple[float, float]
    start_at: datetime
    start: tuple[float, float]

    @property
    def step(self) -> tuple[float, float, float]:
        """(dx, dy, seconds) of the lost track's last second on the ground."""
        return self.end[0] - self.old[0], self.end[1] - self.old[1], (self.end_at - self.old_at).total_seconds()

    @property
    def ahead_s(self) -> float:
        return (self.start_at - self.end_at).total_seconds()


def _boxes_overlap(kind: ViolationType, pairs: list[tuple[Box, Box]]) -> bool:
    """Whether two tracks' boxes in their last shared frames are one vehicle's: overlapping
    (IoU ≥ 0.3) in one of them — or, for two stops, one box lying on the other (as
    ``IllegalStopRule`` tells parked vehicles apart) in most of them: two cars parked nose to
    tail far up the picture overlap by a third, and a box that took in both for a frame or
    two does not make them one."""
    if kind is ViolationType.ILLEGAL_STOP:
        return float(np.median([box_nested_share(a, b) for a, b in pairs])) >= STAY_OVERLAP
    return max(box_iou(a, b) for a, b in pairs) >= 0.3


def _gap(before: TrackMemory, after: TrackMemory) -> _Gap | None:
    """The ground positions across the gap from ``before`` to ``after``, or None when either was
    not placed on the ground."""
    if len(before.history) < 2 or not after.history:
        return None
    end_at, end_g = before.history[-1][1], before.history[-1][3]
    start_at, start_g = after.history[0][1], after.history[0][3]
    old = next(((at, g) for _, at, _, g in before.history if (end_at - at).total_seconds() <= 1.0), None)
    if end_g is None or start_g is None or old is None or old[1] is None or old[0] >= end_at:
        return None
    return _Gap(old_at=old[0], old=old[1], end_at=end_at, end=end_g, start_at=start_at, start=start_g)


def _on_the_path(before: TrackMemory, after: TrackMemory, *, lateral_m: float = 1.5, beyond_m: float = 2.5) -> bool:
    """``after`` begins on the ground on ``before``'s path: within ``lateral_m`` of the line it
    was travelling along (its last second), neither behind where it was last seen nor more
    than ``beyond_m`` past where ``SPEED_SLACK`` times its speed would have carried it (far up
    the road, where one pixel of box is up to 25 cm of road, a rider's speed over its last
    second read a third low: 6 m/s for 8.3)."""
    gap = _gap(before, after)
    if gap is None:
        return False
    dx, dy, span = gap.step
    step = float(np.hypot(dx, dy))
    if step < 0.5:
        return False  # not going anywhere: no path to continue
    ux, uy = dx / step, dy / step
    ox, oy = gap.start[0] - gap.end[0], gap.start[1] - gap.end[1]
    along, across = ox * ux + oy * uy, abs(ox * uy - oy * ux)
    return across <= lateral_m and -1.0 <= along <= SPEED_SLACK * step / span * gap.ahead_s + beyond_m


def _continues_in_the_picture(before: TrackMemory, after: TrackMemory, fps: float) -> bool:
    """``after``'s first box overlaps ``before``'s last box (IoU ≥ 0.1), is of a like size
    (heights within a factor 1.6) and its centre is within half the last box's height of
    where ``before``'s centre was going: its last box carried on at its motion in the picture
    over its last second to the frame ``after`` began."""
    last_frame, first_frame = max(before.boxes), min(after.boxes)
    last, first = before.boxes[last_frame], after.boxes[first_frame]
    height, new_height = last[3] - last[1], first[3] - first[1]
    if box_iou(last, first) < 0.1 or height <= 0 or not 1 / 1.6 <= new_height / height <= 1.6:
        return False
    since = min(f for f in before.boxes if f >= last_frame - fps)
    if since == last_frame:
        return False  # seen in one frame only: no motion to carry on
    old_c, last_c, first_c = (np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2])
                              for b in (before.boxes[since], last, first))
    going = last_c + (last_c - old_c) / (last_frame - since) * (first_frame - last_frame)
    return float(np.hypot(*(first_c - going))) <= height / 2


def _continues_on_the_ground(before: TrackMemory, after: TrackMemory, tolerance_m: float = 2.5) -> bool:
    """``after`` begins on the ground within ``tolerance_m`` of where ``before`` was going:
    its last ground position carried on at its ground velocity (over its last second) to the
    moment ``after`` was first placed."""
    gap = _gap(before, after)
    if gap is None:
        return False
    dx, dy, span = gap.step
    ahead = gap.ahead_s / span
    predicted = (gap.end[0] + dx * ahead, gap.end[1] + dy * ahead)
    return float(np.hypot(gap.start[0] - predicted[0], gap.start[1] - predicted[1])) <= tolerance_m
