"""Our vehicle classes and how other models' classes map onto them.

Contract: ``CLASSES`` is the pipeline's class list (index = class id in ``Detections``);
``class_map(names)`` maps a model's ``{id: name}`` onto our ids, dropping classes we do
not use. COCO names (``motorcycle``, ``person``…) and our own model's names both work.
"""

from __future__ import annotations

CLASSES: tuple[str, ...] = ("motorbike", "car", "bus", "truck", "bicycle", "pedestrian")
ALIASES: dict[str, str] = {
    "motorbike": "motorbike", "motorcycle": "motorbike", "car": "car", "bus": "bus", "truck": "truck",
    "bicycle": "bicycle", "person": "pedestrian", "pedestrian": "pedestrian",
}
HELMET_CLASSES: tuple[str, ...] = ("no_helmet", "without_helmet", "nohelmet")
TWO_WHEELERS = frozenset({"motorbike", "bicycle"})
# Typical ground footprint (length, width) in metres, used to place a vehicle's front from its rear.
FOOTPRINT_M: dict[str, tuple[float, float]] = {
    "motorbike": (1.9, 0.7), "bicycle": (1.7, 0.6), "car": (4.5, 1.8), "bus": (11.0, 2.5),
    "truck": (8.0, 2.4), "pedestrian": (0.5, 0.5),
}


def class_map(names: dict[int, str]) -> dict[int, int]:
    """Model class id → our class id, for the classes we use."""
    mapping = {}
    for model_id, name in names.items():
        ours = ALIASES.get(name.lower().strip())
        if ours is not None:
            mapping[int(model_id)] = CLASSES.index(ours)
    return mapping
