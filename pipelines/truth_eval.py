"""Score a pipeline run against simulator ground truth (``<clip>.truth.json``).

Contract:
- ``TrackLog`` collects (track id, frame, box) of every observation during a run
  (pass ``TrackLog.on_frame`` as the pipeline's ``on_frame``).
- ``score(truth, violations, log, ...)`` finds the truth vehicle each predicted violation
  is about: the one whose boxes overlap the violating track's boxes (IoU ≥ 0.3) in most
  of its frames within ``AROUND_S`` of the violation's moment — what its evidence shows
  (a tracker id that later passed to another vehicle still reported the first); a track
  with no box then falls back to the vehicle it overlaps most over its life. A predicted
  violation is a true positive when that vehicle has a truth violation of the
  same type (each truth event matched once); returns per-type TP/FP/FN, speed errors,
  plate exact matches on legible plates, and counts per class against the vehicles whose
  boxes crossed the same count line. Truth events a clip cannot show (``observable``) are
  left out; a prediction matching one is not counted as a false positive either.
- ``window=(first, end)`` scores only the frames [first, end) of a longer clip, as a camera
  processing consecutive segments is scored: an event belongs to the window its start falls
  in (one starting before or after is left out, and a prediction about it too), and a
  prediction about no event counts as a false positive only when made within the window.
  The frames before and after are footage the pipeline runs through as it would the end of
  the segment before and the start of the next, so a vehicle is not cut short by the clip's
  edges: a rider entering the far end of the road two seconds before a segment ends is
  judged as it comes nearer, in the next.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from analytics.records import Violation
from pipelines.counting import bin_start
from pipelines.geometry import box_iou, inside, side_of_line

MIN_VISIBLE = 0.4  # share of a vehicle's box not hidden behind nearer vehicles
LEGIBLE_PLATE_PX = 60  # plate width in pixels at its largest: below this nobody can read it
AROUND_S = 0.5


@dataclass
class TrackLog:
    boxes: dict[int, dict[int, tuple[float, float, float, float]]] = field(default_factory=lambda: defaultdict(dict))

    def on_frame(self, frame: object, observations: list, phase: str) -> None:
        for obs in observations:
            self.boxes[obs.track_id][obs.frame_index] = obs.box


@dataclass(frozen=True, kw_only=True, slots=True)
class TypeScore:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass(frozen=True, kw_only=True, slots=True)
class Score:
    per_type: dict[str, TypeScore]
    speed_errors_kmh: tuple[float, ...]
    plates_legible: int
    plates_exact: int
    counts_pred: dict[str, int]
    counts_truth: dict[str, int]
    false_positives: tuple[str, ...]
    misses: tuple[str, ...]
    # legible plates read wrong and not marked for review: a plate the officer would be handed as read
    plates_wrong_unflagged: int = 0
    plate_misses: tuple[str, ...] = ()  # each legible plate not read exactly: what was read, and whether flagged
    plates_exact_flagged: int = 0  # legible plates read exactly but sent to review: an officer confirms them


def load_truth(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _truth_boxes(truth: dict) -> dict[int, list[tuple[int, list[float]]]]:
    by_frame: dict[int, list[tuple[int, list[float]]]] = defaultdict(list)
    for vehicle in truth["vehicles"]:
        for s in vehicle["samples"]:
            by_frame[int(s[0])].append((int(vehicle["track_id"]), s[1:5]))
    return by_frame


def _vote(boxes: dict[int, tuple[float, float, float, float]], by_frame: dict[int, list[tuple[int, list[float]]]],
          ) -> int | None:
    """The truth vehicle overlapping these boxes (IoU ≥ 0.3) in at least 40 % of their frames."""
    votes: Counter[int] = Counter()
    for frame, box in boxes.items():
        best = max(((box_iou(box, tb), vid) for vid, tb in by_frame.get(frame, [])), default=(0.0, -1))
        if best[0] >= 0.3:
            votes[best[1]] += 1
    if votes:
        vid, n = votes.most_common(1)[0]
        if n >= 0.4 * len(boxes):
            return vid
    return None


def match_tracks(truth: dict, log: TrackLog) -> dict[int, int]:
    """Pipeline track id → truth track id (best-overlapping vehicle over the track's life)."""
    by_frame = _truth_boxes(truth)
    return {tid: vid for tid, boxes in log.boxes.items() if (vid := _vote(boxes, by_frame)) is not None}


def _frame_of(truth: dict, violation: Violation) -> int | None:
    """The clip frame of a violation's moment, or None for a truth without its start time."""
    if not truth.get("start_utc"):
        return None
    start = datetime.fromisoformat(truth["start_utc"])
    return round((violation.occurred_at - start).total_seconds() * float(truth["fps"]))


def violation_vehicle(truth: dict, violation: Violation, log: TrackLog, mapping: dict[int, int],
                      by_frame: dict[int, list[tuple[int, list[float]]]] | None = None) -> int | None:
    """The truth vehicle a predicted violation is about: the one its track held within
    ``AROUND_S`` of the violation's moment, else the track's vehicle over its life."""
    fps = float(truth["fps"])
    boxes = log.boxes.get(violation.track_id, {})
    frame = _frame_of(truth, violation)
    if frame is not None and boxes:
        near = {f: b for f, b in boxes.items() if abs(f - frame) <= AROUND_S * fps}
        if near:
            vid = _vote(near, by_frame if by_frame is not None else _truth_boxes(truth))
            if vid is not None:
                return vid
    return mapping.get(violation.track_id)


def truth_counts(truth: dict, line: tuple[tuple[float, float], tuple[float, float]]) -> dict[str, int]:
    """Vehicles per class whose ground-contact point was seen on both sides of ``line``."""
    counts: Counter[str] = Counter()
    for vehicle in truth["vehicles"]:
        if _crossing_frame(vehicle, line) is not None:
            counts[vehicle["class"]] += 1
    return dict(counts)


def truth_count_bins(truth: dict, line: tuple[tuple[float, float], tuple[float, float]],
                     ) -> Counter[tuple[datetime, str]]:
    """Vehicles per (15-minute bin start UTC, class), each in the bin of the frame it had
    been seen on both sides of ``line`` by — as the pipeline bins its counts."""
    start = datetime.fromisoformat(truth["start_utc"])
    fps = float(truth["fps"])
    bins: Counter[tuple[datetime, str]] = Counter()
    for vehicle in truth["vehicles"]:
        frame = _crossing_frame(vehicle, line)
        if frame is not None:
            bins[(bin_start(start + timedelta(seconds=frame / fps)), vehicle["class"])] += 1
    return bins


def _crossing_frame(vehicle: dict, line: tuple[tuple[float, float], tuple[float, float]]) -> int | None:
    """The first frame by which the vehicle's ground-contact point (within the line's extent
    and 2 px clear of it) had been seen on both sides of ``line``; None if it never was."""
    (x1, y1), (x2, y2) = line
    xmin, xmax = min(x1, x2) - 20, max(x1, x2) + 20
    length = max(1.0, float(np.hypot(x2 - x1, y2 - y1)))
    sides = set()
    for s in vehicle["samples"]:
        point = ((s[1] + s[3]) / 2, s[4])
        if xmin <= point[0] <= xmax:
            d = side_of_line(line, point) / length
            if abs(d) >= 2.0:
                sides.add(d > 0)
                if len(sides) == 2:
                    return int(s[0])
    return None


def observable(truth: dict, event: dict, vehicle: dict | None,
               lanes: Sequence[Sequence[tuple[float, float]]] = (), window: tuple[int, int] | None = None) -> bool:
    """Whether a clip shows enough of a truth event to judge it: it starts at least two
    seconds before the clip ends, did not end in the clip's first half second, and its
    vehicle is visible — at least ``MIN_VISIBLE`` of it not hidden behind nearer vehicles —
    for at least a second while the event lasts (a car parked behind a stopped bus for the
    whole of its dwell cannot be judged from this camera, by a pipeline or by an officer).
    A ``wrong_lane`` or ``wrong_way`` event counts only the samples whose ground point is
    inside one of the camera's configured ``lanes``: the simulator's lanes run on through the
    junction and up the far road, beyond the stretch the scene config marks out, and a lane
    and its direction are known — to the rules and to an officer — only where configured.
    That ground point must be in the picture: a car standing cut by the bottom edge of the
    picture shows its roof, not the road its wheels are on. With a ``window`` (frames [first,
    end)), an event starting outside it is not this window's."""
    fps = float(truth["fps"])
    if vehicle is None or event["start_frame"] > truth["frames"] - 2 * fps:
        return False
    if window is not None and not window[0] <= event["start_frame"] < window[1]:
        return False
    if event["start_frame"] == 0 and event["end_frame"] < 0.5 * fps:
        return False  # over before the clip began
    end = event["end_frame"] if event.get("end_frame") is not None else truth["frames"]
    seen = [s for s in vehicle["samples"] if len(s) < 8 or s[7] >= MIN_VISIBLE]
    during = [s for s in seen if event["start_frame"] - fps <= s[0] <= end + fps]
    if event.get("type") in ("wrong_lane", "wrong_way") and lanes:
        bottom = float(truth.get("height", 10 ** 6)) - 2
        during = [s for s in during
                  if s[4] < bottom and any(inside(lane, ((s[1] + s[3]) / 2, s[4])) for lane in lanes)]
    return len(seen) >= fps and len(during) >= fps


def score(truth: dict, violations: Sequence[Violation], log: TrackLog, *, counts_pred: dict[str, int],
          count_line: tuple[tuple[float, float], tuple[float, float]], types: Sequence[str],
          lanes: Sequence[Sequence[tuple[float, float]]] = (), window: tuple[int, int] | None = None) -> Score:
    mapping = match_tracks(truth, log)
    by_frame = _truth_boxes(truth)
    vehicles = {int(v["track_id"]): v for v in truth["vehicles"]}
    events: dict[tuple[str, int], dict] = {(e["type"], int(e["track_id"])): e for e in truth["violations"]
                                           if observable(truth, e, vehicles.get(int(e["track_id"])), lanes, window)}
    matched: set[tuple[str, int]] = set()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    speed_errors = []
    legible = exact = wrong_unflagged = exact_flagged = 0
    false_alarms, misses, plate_misses = [], [], []
    hidden = {(e["type"], int(e["track_id"])) for e in truth["violations"]} - set(events)
    for v in violations:
        kind = v.violation_type.value
        vid = violation_vehicle(truth, v, log, mapping, by_frame)
        key = (kind, vid) if vid is not None else None
        if key in hidden:
            continue
        if key is not None and key in events and key not in matched:
            matched.add(key)
            tp[kind] += 1
            event = events[key]
            if kind == "speeding" and v.speed_kmh is not None and event.get("speed_kmh") is not None:
                speed_errors.append(abs(v.speed_kmh - float(event["speed_kmh"])))
            vehicle = vehicles[vid]
            if vehicle.get("plate") and vehicle.get("plate_max_px", 0) >= LEGIBLE_PLATE_PX:
                legible += 1
                exact += int(v.plate_text == vehicle["plate"])
                exact_flagged += int(v.plate_text == vehicle["plate"] and v.plate_needs_review)
                if v.plate_text != vehicle["plate"]:
                    wrong_unflagged += int(v.plate_text is not None and not v.plate_needs_review)
                    plate_misses.append(
                        f"{kind} truth {vid} plate {vehicle['plate']} ({vehicle['plate_max_px']:.0f} px): read "
                        f"{v.plate_text or '—'} conf {v.plate_confidence if v.plate_confidence is not None else '—'}"
                        f"{' (needs review)' if v.plate_needs_review else ''}")
        else:
            frame = _frame_of(truth, v) if window is not None else None
            if frame is not None and window is not None and not window[0] <= frame < window[1]:
                continue  # the segment before's or the next one's to count
            fp[kind] += 1
            false_alarms.append(f"{kind} track {v.track_id} → truth {vid} at {v.occurred_at.isoformat()}")
    fn: Counter[str] = Counter()
    for key, event in events.items():
        if key[0] in types and key not in matched:
            fn[key[0]] += 1
            misses.append(f"{key[0]} truth {key[1]} frames {event['start_frame']}–{event['end_frame']}")
    kinds = sorted(set(types) | set(tp) | set(fp))
    return Score(per_type={k: TypeScore(tp=tp[k], fp=fp[k], fn=fn[k]) for k in kinds},
                 speed_errors_kmh=tuple(speed_errors), plates_legible=legible, plates_exact=exact,
                 counts_pred=counts_pred, counts_truth=truth_counts(truth, count_line),
                 false_positives=tuple(false_alarms), misses=tuple(misses),
                 plates_wrong_unflagged=wrong_unflagged, plate_misses=tuple(plate_misses),
                 plates_exact_flagged=exact_flagged)
