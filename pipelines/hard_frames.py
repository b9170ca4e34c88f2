"""Hard-example mining for our detector: the rendered frames the current weights get wrong.

Contract:
- ``frame_errors(predicted, labelled)`` compares one frame's predicted boxes with its
  labels and names every error: a *false positive* (a confident box over no labelled
  vehicle — road markings, a car's wheel beside lane dashes), a *confusion* (a box over a
  labelled vehicle of another class and none of its own), a *miss* (a labelled vehicle big
  enough for the rules that no box of its class covers).
- ``select_hard_frames(weights, images_dir, labels_dir, ...)`` runs the weights over a
  folder written by ``simulator.dataset`` and returns the frames with at least one error.
  Adding those frames to the training set (``cli.py model mine``) makes the next stage
  train on what this one gets wrong, instead of on more frames it already handles.
Pure comparison of boxes in ``frame_errors``; only ``select_hard_frames`` loads a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipelines.geometry import box_iou as iou, box_share_on


@dataclass(frozen=True, kw_only=True, slots=True)
class LabelledBox:
    """A box in pixels with its class name; ``confidence`` is 1.0 for labels."""

    cls: str
    box: tuple[float, float, float, float]
    confidence: float = 1.0


@dataclass(frozen=True, kw_only=True, slots=True)
class FrameErrors:
    false_positives: tuple[str, ...]  # classes of the boxes over no vehicle
    confusions: tuple[tuple[str, str], ...]  # (labelled class, predicted class)
    misses: tuple[str, ...]  # classes of the labelled vehicles nothing found

    @property
    def any(self) -> bool:
        return bool(self.false_positives or self.confusions or self.misses)


@dataclass(frozen=True, kw_only=True, slots=True)
class HardFrame:
    image: Path
    label: Path
    errors: FrameErrors


def frame_errors(predicted: Sequence[LabelledBox], labelled: Sequence[LabelledBox], *, min_confidence: float = 0.4,
                 match_iou: float = 0.5, background_iou: float = 0.3, min_px: float = 24.0,
                 hidden_share: float = 0.3) -> FrameErrors:
    """Errors of one frame. A prediction under ``min_confidence`` is neither counted nor used
    to excuse a miss (the pipeline would not act on it either). A prediction overlapping some
    label by less than ``background_iou`` is over background; between that and a same-class
    match it is a loose box, not counted (the labels reach the road and the model's box
    may stop at the wheels). Boxes narrower or lower than ``min_px`` count neither as
    false positives nor as misses: the labels leave out vehicles that far away and the
    rules never act on them. A label covered by another label for ``hidden_share`` of its
    area is not a miss either (the labels keep whole boxes of vehicles behind others)."""
    confident = [p for p in predicted if p.confidence >= min_confidence]
    false_positives: list[str] = []
    confusions: list[tuple[str, str]] = []
    for p in confident:
        overlaps = [(iou(p.box, t.box), t) for t in labelled]
        if not overlaps or max(o for o, _ in overlaps) < background_iou:
            if _big_enough(p.box, min_px):
                false_positives.append(p.cls)
            continue
        best, truth = max(overlaps, key=lambda pair: pair[0])
        if truth.cls != p.cls and best >= match_iou and not any(
                t.cls == p.cls and o >= match_iou for o, t in overlaps):
            confusions.append((truth.cls, p.cls))
    misses = [t.cls for t in labelled
              if _big_enough(t.box, min_px)
              and not any(box_share_on(t.box, other.box) >= hidden_share for other in labelled if other is not t)
              and not any(p.cls == t.cls and iou(p.box, t.box) >= match_iou for p in confident)]
    return FrameErrors(false_positives=tuple(false_positives), confusions=tuple(confusions), misses=tuple(misses))


def _big_enough(box: tuple[float, float, float, float], min_px: float) -> bool:
    return box[2] - box[0] >= min_px and box[3] - box[1] >= min_px


def read_label_file(path: Path, *, width: int, height: int, names: Sequence[str]) -> list[LabelledBox]:
    """YOLO label lines (``cls cx cy w h``, normalised) as pixel boxes."""
    boxes = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 5:
            raise ValueError(f"{path}:{n}: expected 'cls cx cy w h', got {line!r}")
        cls, cx, cy, w, h = int(parts[0]), *(float(v) for v in parts[1:])
        boxes.append(LabelledBox(cls=names[cls], box=((cx - w / 2) * width, (cy - h / 2) * height,
                                                      (cx + w / 2) * width, (cy + h / 2) * height)))
    return boxes


def select_hard_frames(weights: Path, images_dir: Path, labels_dir: Path, *, names: Sequence[str], imgsz: int,
                       min_confidence: float = 0.4, batch: int = 16) -> list[HardFrame]:
    """Frames of ``images_dir`` (labels beside them in ``labels_dir``) that ``weights`` gets
    wrong at ``imgsz``, in file-name order."""
    from ultralytics import YOLO

    model = YOLO(str(weights))
    images = sorted(images_dir.glob("*.jpg"))
    hard: list[HardFrame] = []
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        results = model.predict([str(p) for p in chunk], imgsz=imgsz, conf=min_confidence, device="cpu",
                                verbose=False)
        for image, result in zip(chunk, results, strict=True):
            height, width = result.orig_shape
            label = labels_dir / f"{image.stem}.txt"
            truth = read_label_file(label, width=width, height=height, names=names)
            predicted = [LabelledBox(cls=names[int(c)], box=tuple(float(v) for v in xyxy), confidence=float(conf))
                         for xyxy, c, conf in zip(result.boxes.xyxy.tolist(), result.boxes.cls.tolist(),
                                                  result.boxes.conf.tolist(), strict=True)]
            errors = frame_errors(predicted, truth, min_confidence=min_confidence)
            if errors.any:
                hard.append(HardFrame(image=image, label=label, errors=errors))
    return hard
