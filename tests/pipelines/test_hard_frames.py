"""Hard-example mining: which predictions and labels make a frame worth training on."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.hard_frames import LabelledBox, frame_errors, read_label_file, select_hard_frames

CAR = LabelledBox(cls="car", box=(100, 100, 200, 180))
BIKE = LabelledBox(cls="bicycle", box=(300, 100, 330, 170))
FAR = LabelledBox(cls="motorbike", box=(500, 50, 512, 70))  # 12 px wide: beyond every rule


def pred(label: LabelledBox, *, cls: str | None = None, conf: float = 0.8, dx: float = 0.0) -> LabelledBox:
    x1, y1, x2, y2 = label.box
    return LabelledBox(cls=cls or label.cls, box=(x1 + dx, y1, x2 + dx, y2), confidence=conf)


@pytest.mark.parametrize(("predicted", "labelled", "fp", "confusions", "misses"), [
    ([pred(CAR), pred(BIKE)], [CAR, BIKE], (), (), ()),
    # lane dashes beside a parked car taken for a bicycle
    ([pred(CAR), LabelledBox(cls="bicycle", box=(220, 90, 250, 170), confidence=0.8)], [CAR], ("bicycle",), (), ()),
    # the same box too unsure for the pipeline to act on is no error
    ([pred(CAR), LabelledBox(cls="bicycle", box=(220, 90, 250, 170), confidence=0.2)], [CAR], (), (), ()),
    ([pred(BIKE, cls="motorbike")], [BIKE], (), (("bicycle", "motorbike"),), ("bicycle",)),
    ([pred(CAR)], [CAR, BIKE], (), (), ("bicycle",)),
    # a low-confidence box does not excuse a miss
    ([pred(CAR), pred(BIKE, conf=0.2)], [CAR, BIKE], (), (), ("bicycle",)),
    # a loose box (overlap between background and match) is neither a false positive nor a find
    ([pred(CAR, dx=45)], [CAR], (), (), ("car",)),
    ([pred(CAR)], [CAR, FAR], (), (), ()),
    # a far vehicle the labels leave out, found by the model, is no false positive
    ([pred(CAR), LabelledBox(cls="motorbike", box=(600, 40, 610, 60), confidence=0.9)], [CAR], (), (), ()),
    # a car mostly behind a truck is not a miss; the truck in front is
    ([], [LabelledBox(cls="truck", box=(100, 100, 300, 260)), CAR], (), (), ("truck",)),
    ([], [], (), (), ()),
])
def test_frame_errors(predicted, labelled, fp, confusions, misses) -> None:  # type: ignore[no-untyped-def]
    errors = frame_errors(predicted, labelled)
    assert (errors.false_positives, errors.confusions, errors.misses) == (fp, confusions, misses)
    assert errors.any == bool(fp or confusions or misses)


def test_label_file_in_pixels(tmp_path: Path) -> None:
    label = tmp_path / "f.txt"
    label.write_text("1 0.5 0.5 0.25 0.5\n\n4 0.1 0.2 0.1 0.2\n", encoding="utf-8")
    boxes = read_label_file(label, width=800, height=400, names=("motorbike", "car", "bus", "truck", "bicycle"))
    assert [b.cls for b in boxes] == ["car", "bicycle"]
    assert boxes[0].box == pytest.approx((300, 100, 500, 300))


def test_bad_label_line_names_file_and_line(tmp_path: Path) -> None:
    label = tmp_path / "f.txt"
    label.write_text("1 0.5 0.5 0.25 0.5\n1 0.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"f\.txt:2"):
        read_label_file(label, width=10, height=10, names=("motorbike", "car"))


def test_shipped_weights_on_rendered_frames(tmp_path: Path) -> None:
    """The whole loop on real frames: a frame labelled with what the model finds is not hard;
    the same frame with a bus labelled where the road is empty is hard, for that miss."""
    from simulator.dataset import CLASSES, build_dataset
    from simulator.world import load_sim_scene

    root = Path(__file__).resolve().parents[2]
    scene = load_sim_scene(root / "data" / "scenes" / "sim" / "cau_tan_de.yaml")
    build_dataset([scene], tmp_path, seeds=[1], seconds=1, stride=25, split="train")
    images, labels = tmp_path / "images" / "train", tmp_path / "labels" / "train"
    weights = root / "data" / "models" / "matthan-det.pt"
    from ultralytics import YOLO

    first = sorted(images.glob("*.jpg"))[0]
    result = YOLO(str(weights)).predict(str(first), imgsz=640, conf=0.4, device="cpu", verbose=False)[0]
    height, width = result.orig_shape
    own = [f"{int(c)} {x / width:.6f} {y / height:.6f} {w / width:.6f} {h / height:.6f}"
           for (x, y, w, h), c in zip(result.boxes.xywh.tolist(), result.boxes.cls.tolist(), strict=True)]
    assert own, "the model finds the vehicles of a day frame on the bridge"
    for label in labels.glob("*.txt"):
        if label.stem != first.stem:
            label.unlink()
            (images / f"{label.stem}.jpg").unlink()
    (labels / f"{first.stem}.txt").write_text("\n".join(own) + "\n", encoding="utf-8")
    assert select_hard_frames(weights, images, labels, names=CLASSES, imgsz=640) == []

    (labels / f"{first.stem}.txt").write_text("\n".join([*own, "2 0.05 0.9 0.08 0.1"]) + "\n", encoding="utf-8")
    hard = select_hard_frames(weights, images, labels, names=CLASSES, imgsz=640)
    assert [(h.image, h.errors.misses) for h in hard] == [(first, ("bus",))]
