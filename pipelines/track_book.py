"""What the pipeline remembers about each confirmed track between frames.

Contract: ``TrackBook.observe(detections, frame)`` turns tracked detections into the
``Observation`` records the rules read — majority-voted class, ground position, front,
lane, heading and one-second ground speed — and keeps the boxes needed for evidence and
a few of the largest crops for plate reading (``views``), and apart from them the largest of
boxes running out of the bottom of the picture (``open_views``: the plate may be cut off). ``expired(frame_index)`` returns the ids of
tracks not seen for longer than the tracker keeps lost tracks.

A track is *confirmed* once the median confidence of its last ``SCORE_HISTORY`` detections
has reached ``confirm_confidence`` (Frigate's computed score), and stays so. Only confirmed
tracks are counted and raise violations; the others are still observed, so a track that
becomes sure late keeps its whole history. On held-out frames our model's bicycles under
0.6 confidence were mostly motorbikes or road markings and its true vehicles mostly over
0.8, so a track of half-believed boxes is a phantom while a real vehicle's median soon
passes 0.5 even when it has weak frames (the tracker keeps it with boxes down to 0.1).
A new track that continues a confirmed one — it begins within ``CONTINUE_S`` of where a
vehicle of the same kind was last seen (boxes overlap) — is that vehicle under a new id and
starts confirmed: in a dense swarm a rider's id changes as riders pass in front of it, and
the fragment that shows the violation may be one the detector saw only dimly. The
observation names the track it continues (``Observation.continues``): counting takes the
count line's sides over from it (a bus at 6 fps changed id as it turned across the line).
A lost track is taken over once: a second new id beginning on it is a second box on the
vehicle the first new id now follows (a truck at night, its box jumping as it crossed the
count line, was taken over by two ids, each taking its side of the line, and counted twice).
Nor is a track taken over by a box lying far back along the way it was going: a bus entering
the picture at the bottom had taken the place of a car lost as it drove away up the road.
A car, bus or truck also carries its class votes on to the id that continues it: a truck
turning side-on at a junction, under a new id, was read as a bus for the second it took to
cross the line, and counted as one (not riders: in a swarm the box a lost rider leaves is as
often the next rider's).

A track is kept in *stretches*: when the tracker re-finds an id after it was unseen for
longer than ``REFOUND_GAP_S`` and ``REFOUND_INTERVALS`` of its usual observation intervals,
on a box away from where it was lost (IoU below ``STAY_IOU``), a new stretch begins. At 6 fps
a wrong-way rider hidden behind a parked car handed its id to that car; the plate views and
the evidence boxes of a violation come only from the stretch it happened in
(``views(track_id, frame)``, ``stretch(track_id, frame)``), so a violation never carries
another vehicle's plate. A vehicle re-found where it stood (a parked car hidden by traffic)
stays in one stretch.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from analytics.scene_config import Lane, SceneConfig
from pipelines.classes import CLASSES, FOOTPRINT_M, TWO_WHEELERS
from pipelines.detections import Detections
from pipelines.geometry import GroundMap, box_iou, box_nested_share, ground_velocity, inside
from pipelines.rules.base import Observation, unseen_too_long

Box = tuple[float, float, float, float]
MAX_CROPS = 3
MAX_OPEN_CROPS = 2  # views of a box running out of the bottom of the picture, kept besides the clear ones
CROP_EDGE_PX = 12.0
MIN_MEASURABLE_PX = 18
MAX_DEPTH_METRES_PER_PX = 0.25
BOTTOM_MARGIN = 0.01
MOVING_MPS = 1.0
PARKED_VIEWS_S = 900.0  # as long as a stop in a no-stopping zone is judged on later ids
MAX_PARKED_VIEWS = 256
# a heading needs 0.3 s of track (two frame gaps at 6 fps: a rider crossing the picture in 1.5 s
# at 6 fps gave too few headed observations to be judged); a speed needs 0.4 s
MIN_HEADING_S = 0.3
MIN_SPEED_S = 0.4
ACROSS_LANE_COS = 0.5  # a heading more than 60° off a lane's axis crosses the lane (a turn): it does not drive in it
SCORE_HISTORY = 10
CONTINUE_S = 0.5
BACKWARD_FRAMES = 8  # the way a lost track was going: over its last boxes
BACKWARD_SHARE = 0.5
REFOUND_GAP_S = 0.3
REFOUND_INTERVALS = 3
STAY_IOU = 0.3
MAX_EARLIER_STRETCHES = 4


@dataclass(frozen=True, slots=True)
class Stretch:
    """An earlier stretch of a track (frames ``first``..``last``) and its plate views."""
    first: int
    last: int
    crops: tuple[tuple[float, np.ndarray], ...]
    open_crops: tuple[tuple[float, np.ndarray], ...] = ()


@dataclass
class TrackMemory:
    track_id: int
    first_frame: int
    last_frame: int = 0
    votes: Counter[int] = field(default_factory=Counter)  # class id → summed box height of its detections
    detections: int = 0
    history: deque[tuple[int, datetime, tuple[float, float], tuple[float, float] | None]] = field(
        default_factory=lambda: deque(maxlen=64))
    boxes: dict[int, Box] = field(default_factory=dict)
    crops: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (rank, crop), see _keep_crop
    open_crops: list[tuple[float, np.ndarray]] = field(default_factory=list)  # views open below, see open_views
    ground_heading: tuple[float, float] | None = None
    away: bool | None = None  # last seen moving away from the camera (front = far end of the box)
    first_point: tuple[float, float] | None = None  # first measurable ground-contact point (pixels)
    scores: deque[float] = field(default_factory=lambda: deque(maxlen=SCORE_HISTORY))  # detection confidences
    confirmed: bool = False
    continues: int | None = None  # the lost track of the same vehicle this one began where (``_continued``)
    continued_by: int | None = None  # the new id that took this lost track over
    last_at: datetime | None = None
    interval_s: float = 0.0  # seconds between its last two observations
    stretch_from: int = 0  # first frame of the current stretch
    earlier: list[Stretch] = field(default_factory=list)  # its earlier stretches, oldest first

    @property
    def vehicle_class(self) -> str:
        return CLASSES[self.votes.most_common(1)[0][0]] if self.votes else "car"


class TrackBook:
    def __init__(self, config: SceneConfig, *, fps: float, lost_frames: int, box_memory_frames: int,
                 confirm_confidence: float = 0.0) -> None:
        self._config = config
        self._confirm = confirm_confidence
        self._fps = fps
        self._lost = lost_frames
        self._box_memory = box_memory_frames
        self._ground = GroundMap.from_calibration(config.speed.image_points, config.speed.ground_points) \
            if config.speed is not None else None
        self._speed_zone = list(config.speed.image_points) if config.speed is not None else None
        self.tracks: dict[int, TrackMemory] = {}
        self._parked_views: dict[int, tuple[int, list[tuple[float, np.ndarray]]]] = {}  # id → (last frame, crops)
        self._w, self._h = config.frame.width, config.frame.height

    def cut(self, box: Box, edge: float = 2.0) -> bool:
        """The box touches the frame edge: part of the vehicle (often its plate) is outside.
        At the bottom edge a margin of ``BOTTOM_MARGIN`` of the picture's height counts as
        touching: a detector's box around a vehicle running out of the picture there often stops
        a few pixels short (a bus standing cut by the bottom edge grew a second box, 3 px short,
        that was judged as a car in the wrong lane)."""
        x1, y1, x2, y2 = box
        return x1 <= edge or y1 <= edge or x2 >= self._w - edge or self._bottom_cut(y2, edge)

    def _bottom_cut(self, y2: float, edge: float) -> bool:
        return y2 >= self._h - max(edge, BOTTOM_MARGIN * self._h)

    def _side_cut_only(self, box: Box, edge: float = 2.0) -> bool:
        x1, y1, x2, y2 = box
        if y1 <= edge or self._bottom_cut(y2, edge) or not (x1 <= edge or x2 >= self._w - edge):
            return False
        return self._placeable(box)

    def measurable(self, box: Box) -> bool:
        """A box cut by the frame edge, or too small to place on the ground, gives no
        position, heading or speed (its bottom centre is not where the vehicle touches the road)."""
        return not self.cut(box) and self._placeable(box)

    def _placeable(self, box: Box, *, depth: bool = True) -> bool:
        x1, y1, x2, y2 = box
        if (y2 - y1) < MIN_MEASURABLE_PX or (x2 - x1) < 6:
            return False
        if not depth:
            return True
        # far field: one pixel of box jitter is more ground than a vehicle moves in a frame
        return self._ground is None or self._ground.depth_metres_per_pixel(((x1 + x2) / 2, y2)) <= MAX_DEPTH_METRES_PER_PX

    def observe(self, dets: Detections, frame_index: int, at: datetime, image: np.ndarray | None,
                helmetless: np.ndarray | None = None) -> list[Observation]:
        if dets.track_id is None or len(dets) == 0:
            return []
        points = np.stack([(dets.xyxy[:, 0] + dets.xyxy[:, 2]) / 2, dets.xyxy[:, 3]], axis=1)
        grounds = self._ground.to_ground(points) if self._ground is not None else None
        out = []
        present = {int(t) for t in dets.track_id}
        for i in range(len(dets)):
            tid = int(dets.track_id[i])
            box: Box = tuple(float(v) for v in dets.xyxy[i])  # type: ignore[assignment]
            mem = self.tracks.get(tid)
            if mem is None:
                mem = self.tracks[tid] = TrackMemory(track_id=tid, first_frame=frame_index, stretch_from=frame_index)
                before = self._continued(box, CLASSES[int(dets.class_id[i])], frame_index, present)
                if before is not None:
                    mem.continues, mem.confirmed = before.track_id, before.confirmed
                    before.continued_by = tid
                    if before.vehicle_class not in TWO_WHEELERS:
                        mem.votes.update(before.votes)
            elif _refound_elsewhere(mem, box, at):
                mem.earlier.append(Stretch(first=mem.stretch_from, last=mem.last_frame, crops=tuple(mem.crops),
                                           open_crops=tuple(mem.open_crops)))
                del mem.earlier[:-MAX_EARLIER_STRETCHES]
                mem.stretch_from, mem.crops, mem.open_crops = frame_index, [], []
            if mem.last_at is not None and at > mem.last_at:
                mem.interval_s = (at - mem.last_at).total_seconds()
            mem.last_frame, mem.last_at = frame_index, at
            # a near (large) view is told apart better than a far one: votes weigh by box height
            mem.votes[int(dets.class_id[i])] += max(1.0, box[3] - box[1])
            mem.detections += 1
            mem.scores.append(float(dets.confidence[i]))
            if not mem.confirmed and float(np.median(mem.scores)) >= self._confirm:
                mem.confirmed = True
            point = (float(points[i][0]), float(points[i][1]))
            ground = (float(grounds[i][0]), float(grounds[i][1])) if grounds is not None else None
            mem.boxes[frame_index] = box
            # a detector's box often stops a few pixels short of the picture's edge where the
            # vehicle runs out of it; a box cut at the top has lost its plate end, one cut at the
            # bottom may have (its views are kept apart, for the reader to check)
            if image is not None and not self._cut_above_or_below(box):
                self._keep_crop(mem, image, box, np.delete(dets.xyxy, i, axis=0),
                                side_cut=self.cut(box, edge=CROP_EDGE_PX))
            elif image is not None and self._open_below(box):
                self._keep_open_crop(mem, image, box, np.delete(dets.xyxy, i, axis=0))
            measurable = self.measurable(box)
            if measurable:
                if mem.first_point is None:
                    mem.first_point = point
                mem.history.append((frame_index, at, point, ground))
                heading, speed, span = self._motion(mem)
            else:
                ground, heading, speed, span = None, None, None, 0.0
            cls = mem.vehicle_class
            front = ground
            if heading is not None and (speed is None or speed > MOVING_MPS):  # box jitter is no heading
                mem.away = heading[1] < 0
            # a stopped vehicle has no heading of its own but keeps the orientation it stopped in
            if ground is not None and mem.ground_heading is not None and mem.away:
                length = FOOTPRINT_M.get(cls, (4.5, 1.8))[0]
                front = (ground[0] + mem.ground_heading[0] * length, ground[1] + mem.ground_heading[1] * length)
            # a box cut only by the left or right edge still stands on the road with its visible
            # part: its lane is known (a car half out of the picture in the kerb lane), not its motion.
            # A far box is too coarse in depth for a speed but not across the road: lanes are told
            # apart sideways, where a far pixel is still a few centimetres.
            far = not measurable and not self.cut(box) and self._placeable(box, depth=False)
            lane = next((lane for lane in self._config.lanes if inside(lane.polygon, point)), None) \
                if measurable or far or self._side_cut_only(box) else None
            across = lane is not None and self._across(lane, point, heading, speed, mem)
            flagged = False
            if helmetless is not None and len(helmetless):
                cx, cy = (helmetless[:, 0] + helmetless[:, 2]) / 2, (helmetless[:, 1] + helmetless[:, 3]) / 2
                flagged = bool(np.any((cx >= box[0]) & (cx <= box[2]) & (cy >= box[1]) & (cy <= box[3])))
            travel = None
            if measurable and mem.first_point is not None:
                tx, ty = point[0] - mem.first_point[0], point[1] - mem.first_point[1]
                norm = float(np.hypot(tx, ty))
                travel = (tx / norm, ty / norm) if norm > 10.0 else None
            out.append(Observation(
                track_id=tid, frame_index=frame_index, at=at, box=box, vehicle_class=cls, point=point, ground=ground,
                front=front, lane_id=lane.lane_id if lane is not None else None, across_lane=across, heading=heading,
                speed_mps=speed,
                in_speed_zone=self._speed_zone is not None and inside(self._speed_zone, point), helmetless=flagged,
                class_share=mem.votes.most_common(1)[0][1] / sum(mem.votes.values()), class_votes=mem.detections,
                travel=travel, speed_span_s=span, confirmed=mem.confirmed, continues=mem.continues, far=far))
        self._forget_old_boxes(frame_index)
        return out

    def _continued(self, box: Box, cls: str, frame_index: int, present: set[int]) -> TrackMemory | None:
        """The vehicle a track beginning with ``box`` continues: a track of the same kind lost
        (not in this frame's ``present`` tracks) at most ``CONTINUE_S`` ago whose last box
        overlaps ``box`` — confirmed ones first, then the most overlapping — and that no other
        new id has taken over yet (that one is the vehicle now, and a candidate itself once lost).
        Not one ``box`` lies behind, by more than ``BACKWARD_SHARE`` of its last box's height
        against the way it was going: a vehicle does not jump back (a bus entering the picture
        at the bottom, its first box overlapping that of a car lost as it drove away up the
        road, had taken the car's place, and the car's next id could not)."""
        window = CONTINUE_S * self._fps
        best: tuple[bool, float, TrackMemory] | None = None
        for other in self.tracks.values():
            if (other.track_id in present or other.continued_by is not None
                    or not 0 < frame_index - other.last_frame <= window
                    or (other.vehicle_class in TWO_WHEELERS) != (cls in TWO_WHEELERS)):
                continue
            last = other.boxes.get(other.last_frame)
            overlap = box_iou(last, box) if last is not None else 0.0
            if overlap >= 0.1 and not _behind(other, box) and (best is None or (other.confirmed, overlap) > best[:2]):
                best = (other.confirmed, overlap, other)
        return best[2] if best is not None else None

    def _cut_above_or_below(self, box: Box) -> bool:
        return box[1] <= CROP_EDGE_PX or box[3] >= self._h - CROP_EDGE_PX

    def _open_below(self, box: Box) -> bool:
        """The box runs out of the bottom of the picture only: its plate end may still be in it."""
        x1, y1, x2, y2 = box
        return y2 >= self._h - CROP_EDGE_PX and y1 > CROP_EDGE_PX and x1 > CROP_EDGE_PX and x2 < self._w - CROP_EDGE_PX

    def _keep_open_crop(self, mem: TrackMemory, image: np.ndarray, box: Box, others: np.ndarray) -> None:
        """Keep a view of a box running out of the bottom of the picture among its
        ``MAX_OPEN_CROPS`` largest, ranked as clear views are. A vehicle leaving the picture at
        the bottom is at its largest there, and for some (a bus going away from a camera that
        looks down the road) only those last views show the plate big enough to read; whether
        the plate itself is whole in one is for the reader to tell (``PlateReader.read``'s
        ``open_below``). Kept apart from the clear views so that they never displace one."""
        self._rank_in(mem.open_crops, MAX_OPEN_CROPS, _clear_rank(box, others), image, box, others, side_cut=False)

    def _keep_crop(self, mem: TrackMemory, image: np.ndarray, box: Box, others: np.ndarray, *,
                   side_cut: bool) -> None:
        """Keep the lower part of the vehicle from its biggest views for plate reading, with
        every other vehicle's box painted out: a neighbour's plate in the crop must never be
        read as this vehicle's.

        A view cut by the side of the picture often lost part of its plate, so such views are
        kept only while the track has no clear view (a car parked at the edge of the picture
        for its whole stay still shows its plate); they rank below every clear view, by how
        much of the vehicle is in the picture (rank = box width − frame width: a car entering
        from the side is tall and narrow, its plate still outside).

        A clear view ranks by box height times the share of its plate zone no nearer vehicle's
        box covers: a parked car's views are all the same size, and ranked by size alone it
        kept its first three even when the car parked in front of it hid its plate in them."""
        if side_cut and any(r >= 0 for r, _ in mem.crops):
            return
        if not side_cut and len(mem.crops) >= MAX_CROPS and box[3] - box[1] <= min(r for r, _ in mem.crops):
            return  # even unhidden this view would not rank among the kept ones
        rank = (box[2] - box[0]) - self._w if side_cut else _clear_rank(box, others)
        if not side_cut:
            mem.crops[:] = [(r, c) for r, c in mem.crops if r >= 0]
        self._rank_in(mem.crops, MAX_CROPS, rank, image, box, others, side_cut=side_cut)

    def _rank_in(self, views: list[tuple[float, np.ndarray]], limit: int, rank: float, image: np.ndarray, box: Box,
                 others: np.ndarray, *, side_cut: bool) -> None:
        """Put ``box``'s crop among ``views`` (the ``limit`` best, highest rank first) if it ranks
        there; the crop is cut out only then."""
        if len(views) >= limit and rank <= min(r for r, _ in views):
            return
        crop = self._painted_crop(image, box, others, side_cut=side_cut)
        if crop is None:
            return
        views.append((rank, crop))
        views.sort(key=lambda item: -item[0])
        del views[limit:]

    @staticmethod
    def _painted_crop(image: np.ndarray, box: Box, others: np.ndarray, *, side_cut: bool) -> np.ndarray | None:
        """The lower part of ``box`` with every box in ``others`` painted out, except over its
        own plate zone; None for an empty crop."""
        h, w = image.shape[:2]
        x1, y1, x2, y2 = box
        pad = 0.08 * (x2 - x1)
        top = y1 + 0.3 * (y2 - y1)
        cx0, cy0 = max(0, int(x1 - pad)), max(0, int(top))
        crop = image[cy0:min(h, int(y2 + 2)), cx0:min(w, int(x2 + pad))].copy()
        if crop.size == 0:
            return None
        # where this vehicle's own plate can be: lower middle of its box (kept even if a
        # neighbour's loose box reaches into it)
        zx0, zx1 = int(x1 + 0.2 * (x2 - x1)) - cx0, int(x2 - 0.2 * (x2 - x1)) - cx0
        if side_cut:  # the vehicle's middle, and its plate, lie towards the cut side
            zx0, zx1 = (0, zx1) if x1 <= CROP_EDGE_PX else (zx0, crop.shape[1])
        zy0 = int(y1 + 0.6 * (y2 - y1)) - cy0
        own = crop[max(0, zy0):, max(0, zx0):max(0, zx1)].copy()
        for ox1, oy1, ox2, oy2 in others:
            a, b, c, d = int(ox1) - cx0, int(ox2) - cx0, int(oy1) - cy0, int(oy2) - cy0
            if b > 0 and d > 0 and a < crop.shape[1] and c < crop.shape[0]:
                crop[max(0, c):max(0, d), max(0, a):max(0, b)] = 128
        crop[max(0, zy0):, max(0, zx0):max(0, zx1)] = own
        return crop

    def _across(self, lane: Lane, point: tuple[float, float], heading: tuple[float, float] | None,
                speed: float | None, mem: TrackMemory) -> bool:
        """The vehicle at ``point`` moves across ``lane``, not along it either way: its heading
        over the last second lies more than 60° off the lane's axis (``ACROSS_LANE_COS``) — on the
        ground where the camera is calibrated and the speed measured (a turning truck driving
        straight across the picture is 60° off a slanted lane's axis in the image, 80–90° on the
        road), in the image otherwise. False when it has no heading or stands."""
        if heading is None or speed is not None and speed <= MOVING_MPS:
            return False
        axis, going = np.asarray(lane.direction, float), np.asarray(heading, float)  # heading: a unit vector
        if self._ground is not None and speed is not None and mem.ground_heading is not None:
            a, b = self._ground.to_ground(np.array([point, point + 20.0 * axis / np.hypot(*axis)]))
            axis, going = b - a, np.asarray(mem.ground_heading)
        return abs(float(axis @ going)) / float(np.hypot(*axis)) < ACROSS_LANE_COS

    def _motion(self, mem: TrackMemory) -> tuple[tuple[float, float] | None, float | None, float]:
        """Image heading and ground speed over about the last second, and the seconds of
        track they are measured over."""
        _, now_at, now_pt, now_g = mem.history[-1]
        window = [h for h in mem.history if (now_at - h[1]).total_seconds() <= 1.0]
        if len(window) < 3:
            return None, None, 0.0
        _, old_at, old_pt, old_g = window[0]
        span = (now_at - old_at).total_seconds()
        if span < MIN_HEADING_S:
            return None, None, span
        dx, dy = now_pt[0] - old_pt[0], now_pt[1] - old_pt[1]
        norm = float(np.hypot(dx, dy))
        heading = (dx / norm, dy / norm) if norm > 3.0 else None
        speed = None
        if now_g is not None and old_g is not None and span >= MIN_SPEED_S:
            vx, vy = ground_velocity([(h[1] - old_at).total_seconds() for h in window],
                                     [h[3] for h in window])  # type: ignore[misc]
            speed = float(np.hypot(vx, vy))
            if speed > 0.8:
                mem.ground_heading = (float(vx) / speed, float(vy) / speed)
        return heading, speed, span

    def _forget_old_boxes(self, frame_index: int) -> None:
        limit = frame_index - self._box_memory
        for mem in self.tracks.values():
            if mem.boxes and next(iter(mem.boxes)) < limit:
                mem.boxes = {k: v for k, v in mem.boxes.items() if k >= limit}

    def expired(self, frame_index: int) -> list[int]:
        return [tid for tid, mem in self.tracks.items() if frame_index - mem.last_frame > self._lost]

    def drop(self, track_id: int, frame_index: int) -> TrackMemory | None:
        """Forget a track. A track that ended standing (``_standing``) keeps its plate views for
        ``PARKED_VIEWS_S``: a parked vehicle's id often changes while it stands (hidden by
        traffic), and its plate was seen when it drove in, under the first id."""
        mem = self.tracks.pop(track_id, None)
        limit = frame_index - int(PARKED_VIEWS_S * self._fps)
        self._parked_views = {t: v for t, v in self._parked_views.items() if v[0] >= limit}
        if mem is not None and mem.crops and _standing(mem, int(self._fps)):
            self._parked_views[track_id] = (mem.last_frame, list(mem.crops))
            for old in sorted(self._parked_views, key=lambda t: self._parked_views[t][0])[:-MAX_PARKED_VIEWS]:
                del self._parked_views[old]
        return mem

    def views(self, track_id: int, frame: int | None = None) -> list[tuple[float, np.ndarray]]:
        """Plate crops (box height, crop) of a live track — of its stretch holding ``frame``
        (``stretch``), by default its current one — or of one that ended standing."""
        mem = self.tracks.get(track_id)
        if mem is not None:
            return _of_stretch(mem, frame, open_below=False)
        return list(self._parked_views.get(track_id, (0, []))[1])

    def open_views(self, track_id: int, frame: int | None = None) -> list[tuple[float, np.ndarray]]:
        """Plate crops of a live track's boxes that ran out of the bottom of the picture, of the
        stretch holding ``frame`` as in ``views`` (none for a track that ended standing)."""
        mem = self.tracks.get(track_id)
        return _of_stretch(mem, frame, open_below=True) if mem is not None else []

    def stretch(self, track_id: int, frame: int) -> tuple[int, int]:
        """First and last frame of the stretch of a live track that holds ``frame`` (or the
        last one begun by then); the current stretch runs to the track's last frame."""
        mem = self.tracks.get(track_id)
        if mem is None:
            return frame, frame
        spans = [(s.first, s.last) for s in mem.earlier] + [(mem.stretch_from, mem.last_frame)]
        begun = [span for span in spans if span[0] <= frame]
        return begun[-1] if begun else spans[0]


def _of_stretch(mem: TrackMemory, frame: int | None, *, open_below: bool) -> list[tuple[float, np.ndarray]]:
    """``mem``'s clear (or open-below) views of the stretch holding ``frame``, by default its current one."""
    if frame is not None and frame < mem.stretch_from:
        begun = [s for s in mem.earlier if s.first <= frame]
        if not begun:
            return []
        return list(begun[-1].open_crops if open_below else begun[-1].crops)
    return list(mem.open_crops if open_below else mem.crops)


def _clear_rank(box: Box, others: np.ndarray) -> float:
    """A view's rank: box height times the share of its plate zone no nearer vehicle covers."""
    return (box[3] - box[1]) * (1.0 - _plate_zone_hidden(box, others))


def _behind(mem: TrackMemory, box: Box) -> bool:
    """``box`` lies back along ``mem``'s way over its last ``BACKWARD_FRAMES`` boxes by more than
    ``BACKWARD_SHARE`` of its last box's height (bottom centres; a track that barely moved has
    no way to go back along)."""
    frames = sorted(mem.boxes)[-BACKWARD_FRAMES:]
    if len(frames) < 2:
        return False
    (ax1, _, ax2, ay2), (bx1, by1, bx2, by2) = mem.boxes[frames[0]], mem.boxes[frames[-1]]
    wx, wy = (bx1 + bx2 - ax1 - ax2) / 2, by2 - ay2
    norm = float(np.hypot(wx, wy))
    if norm < 0.1 * (by2 - by1):
        return False
    along = ((box[0] + box[2] - bx1 - bx2) / 2 * wx + (box[3] - by2) * wy) / norm
    return along < -BACKWARD_SHARE * (by2 - by1)


def _refound_elsewhere(mem: TrackMemory, box: Box, at: datetime) -> bool:
    """The tracker re-found ``mem``'s id after a gap (``REFOUND_GAP_S`` and ``REFOUND_INTERVALS``
    of its usual interval) on a box away from its last one."""
    if mem.last_at is None:
        return False
    if not unseen_too_long((at - mem.last_at).total_seconds(), mem.interval_s, min_gap_s=REFOUND_GAP_S,
                           intervals=REFOUND_INTERVALS):
        return False
    last = mem.boxes.get(mem.last_frame)
    return last is None or box_iou(last, box) < STAY_IOU


def _standing(mem: TrackMemory, frames: int) -> bool:
    """The track's last box lies on its box of a second before (either inside the other by
    half): it stood still as it was lost. Judged on boxes, not speed — a parked car half hidden
    by the one in front has a box edge that jumps, and a one-second speed from it does too."""
    if not mem.boxes:
        return False
    last = max(mem.boxes)
    earlier = [f for f in mem.boxes if f <= last - frames]
    if not earlier:
        return False
    a, b = mem.boxes[last], mem.boxes[max(earlier)]
    return box_nested_share(a, b) >= 0.5


def _plate_zone_hidden(box: Box, others: np.ndarray) -> float:
    """Share of ``box``'s plate zone (its lower middle) covered by the boxes in ``others`` that
    are nearer the camera (their bottom edge lower in the picture), sampled on a 12 × 6 grid."""
    x1, y1, x2, y2 = box
    zx0, zx1, zy0 = x1 + 0.2 * (x2 - x1), x2 - 0.2 * (x2 - x1), y1 + 0.6 * (y2 - y1)
    if not len(others):
        return 0.0
    nearer = others[(others[:, 3] > y2) & (others[:, 0] < zx1) & (others[:, 2] > zx0) & (others[:, 1] < y2)]
    if not len(nearer):
        return 0.0
    px, py = np.meshgrid(np.linspace(zx0, zx1, 12), np.linspace(zy0, y2, 6))
    hidden = np.zeros(px.shape, dtype=bool)
    for ox1, oy1, ox2, oy2 in nearer:
        hidden |= (px >= ox1) & (px <= ox2) & (py >= oy1) & (py <= oy2)
    return float(hidden.mean())
