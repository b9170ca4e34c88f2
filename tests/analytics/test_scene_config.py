from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analytics.scene_config import SceneConfigError, dump_scene_config, load_scene_config

GOOD = {
    "frame": {"width": 1280, "height": 720, "fps": 25},
    "lanes": [{"lane_id": "in-1", "polygon": [[100, 700], [600, 700], [620, 300], [400, 300]],
               "direction": [0.1, -1.0], "allowed_classes": ["car", "motorbike"]}],
    "stop_line": [[300, 400], [900, 400]],
    "signal": {"source": "roi", "red_roi": [1130, 36, 28, 28]},
    "no_stopping_zones": [{"zone_id": "z", "polygon": [[10, 600], [90, 600], [90, 500]], "max_dwell_s": 20}],
    "speed": {"image_points": [[100, 700], [900, 700], [800, 300], [300, 300]],
              "ground_points": [[105.08, 10.01], [105.081, 10.01], [105.081, 10.011], [105.08, 10.011]],
              "limit_kmh": 50},
    "timestamp_mask": [0, 0, 560, 40],
}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "scene.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_good_config_round_trips(tmp_path: Path) -> None:
    config = load_scene_config(write(tmp_path, GOOD))
    assert config.lanes[0].allowed_classes == ["car", "motorbike"]
    again = tmp_path / "again.yaml"
    again.write_text(dump_scene_config(config), encoding="utf-8")
    assert load_scene_config(again) == config


@pytest.mark.parametrize(("patch", "message"), [
    ({"stop_line": [[300, 400], [1300, 400]]}, "stop_line: point (1300.0, 400.0) is outside the 1280x720 frame"),
    ({"stop_line": [[300, 400], [300, 400]]}, "stop_line: the two end points coincide"),
    ({"lanes": [{**GOOD["lanes"][0], "polygon": [[0, 0], [10, 10], [20, 20]]}]}, "polygon is degenerate"),
    ({"lanes": [{**GOOD["lanes"][0], "direction": [0, 0]}]}, "direction must be a non-zero vector"),
    ({"lanes": [{**GOOD["lanes"][0], "allowed_classes": ["tank"]}]}, "lanes.0.allowed_classes.0"),
    ({"signal": {"source": "roi", "red_roi": [1270, 36, 28, 28]}}, "signal.red_roi"),
    ({"signal": {"source": "schedule", "green_s": 0, "amber_s": 3, "red_s": 30}}, "signal.schedule.green_s"),
    ({"timestamp_mask": [0, 0, 2000, 40]}, "timestamp_mask"),
    ({"speed": {**GOOD["speed"], "ground_points": [[500, 10], [1, 1], [2, 2], [3, 3]]}}, "is not a lon/lat"),
    ({"frame": {"width": 1280, "height": 720, "fps": 25, "bogus": 1}}, "frame.bogus: unknown key"),
    ({"lanes": [GOOD["lanes"][0], GOOD["lanes"][0]]}, "lane_id values must be unique"),
    ({"signal": None, "no_stopping_zones": [{**GOOD["no_stopping_zones"][0], "signal_holds": True}]},
     "no_stopping_zones[z].signal_holds: the scene has no signal to wait at"),
])
def test_bad_geometry_is_rejected_with_the_field(tmp_path: Path, patch: dict, message: str) -> None:
    path = write(tmp_path, {**GOOD, **patch})
    with pytest.raises(SceneConfigError) as info:
        load_scene_config(path)
    assert str(path) in str(info.value) and message in str(info.value)
