"""Training frames from the simulator: YOLO labels inside the picture, and a class mix that
renders more of the rare classes without overwriting the ordinary frames."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from simulator.dataset import CLASSES, build_dataset
from simulator.world import load_sim_scene

SCENE = Path(__file__).resolve().parents[2] / "data" / "scenes" / "sim" / "nga_tu_rach_gia.yaml"


def _classes(root: Path) -> Counter[str]:
    seen: Counter[str] = Counter()
    for label in (root / "labels" / "train").glob("*.txt"):
        for line in label.read_text().splitlines():
            cls, cx, cy, w, h = line.split()
            assert all(0.0 <= float(v) <= 1.0 for v in (cx, cy, w, h))
            seen[CLASSES[int(cls)]] += 1
    return seen


def test_a_bicycle_mix_renders_bicycles_beside_the_ordinary_frames(tmp_path: Path) -> None:
    scene = load_sim_scene(SCENE)
    plain = build_dataset([scene], tmp_path, seeds=[2], seconds=24, stride=50)
    mixed = build_dataset([scene], tmp_path, seeds=[2], seconds=24, stride=50, mix={"bicycle": 1.0})
    assert plain.images == mixed.images == {"train": 4 * 12}  # day, night, rain, shadow
    assert len(list((tmp_path / "images" / "train").glob("*.jpg"))) == 2 * 4 * 12  # nothing overwritten
    assert mixed.boxes["bicycle"] > 3 * plain.boxes["bicycle"]
    assert mixed.boxes["bicycle"] > mixed.boxes["motorbike"]
    assert sum(_classes(tmp_path).values()) == sum(plain.boxes.values()) + sum(mixed.boxes.values())
    assert (tmp_path / "data.yaml").is_file()


@pytest.mark.parametrize("mix", [{"unicycle": 1.0}, {"bicycle": 0.0}, {"bicycle": -1.0, "car": 2.0}])
def test_a_wrong_mix_is_refused_naming_the_classes(tmp_path: Path, mix: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="mix: shares of motorbike, car, bus, truck, bicycle"):
        build_dataset([load_sim_scene(SCENE)], tmp_path, seeds=[1], seconds=1, mix=mix)


def test_only_the_conditions_asked_for_are_rendered(tmp_path: Path) -> None:
    summary = build_dataset([load_sim_scene(SCENE)], tmp_path, seeds=[3], seconds=4, stride=50, conditions=["shadow"])
    assert summary.images == {"train": 2}
    assert sorted(p.name.split("_s3_")[0] for p in (tmp_path / "images" / "train").glob("*.jpg")) == [
        "nga_tu_rach_gia_shadow"] * 2
    with pytest.raises(ValueError, match="conditions: some of day, night, rain, shadow; got fog"):
        build_dataset([load_sim_scene(SCENE)], tmp_path, seeds=[3], seconds=1, conditions=["fog"])
