"""Rendered bench clips kept between runs: taken again only for the same inputs and a nameable simulator."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulator.world import load_sim_scene

render_cache = pytest.importorskip("bench.render_cache")

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def _render(scene, tmp_path: Path, *, cache: Path | None, simulator: str | None, seed: int = 9111):  # type: ignore[no-untyped-def]
    return render_cache.cached_render(scene, seconds=1.0, seed=seed, start_utc=START, name="c", simulator=simulator,
                                      cache=cache, fallback=tmp_path / "scratch")


def test_a_clip_is_rendered_once_then_taken_from_the_cache_for_the_same_inputs_only(tmp_path: Path) -> None:
    scene = load_sim_scene(ROOT / "data" / "scenes" / "sim" / "cau_tan_de.yaml")
    cache = tmp_path / "renders"
    first, reused = _render(scene, tmp_path, cache=cache, simulator="abc123")
    assert not reused and first.video.is_file() and cache in first.video.parents
    again, reused = _render(scene, tmp_path, cache=cache, simulator="abc123")
    assert reused and again.video == first.video and again.frames == first.frames
    assert again.violations == first.violations
    # another seed, another simulator or another scene is another clip
    assert not _render(scene, tmp_path, cache=cache, simulator="abc123", seed=9112)[1]
    assert not _render(scene, tmp_path, cache=cache, simulator="def456")[1]
    night = scene.model_validate({**scene.model_dump(), "lighting": "night"})
    assert not _render(night, tmp_path, cache=cache, simulator="abc123")[1]


def test_a_clip_half_written_is_rendered_again(tmp_path: Path) -> None:
    scene = load_sim_scene(ROOT / "data" / "scenes" / "sim" / "cau_tan_de.yaml")
    cache = tmp_path / "renders"
    first, _ = _render(scene, tmp_path, cache=cache, simulator="abc123")
    first.truth.unlink()  # the render was killed before its truth was written
    again, reused = _render(scene, tmp_path, cache=cache, simulator="abc123")
    assert not reused and again.truth.is_file()


@pytest.mark.parametrize("simulator", [None, "abc123+dirty"])
def test_a_simulator_that_cannot_be_named_renders_into_scratch_and_keeps_nothing(tmp_path: Path,
                                                                                 simulator: str | None) -> None:
    scene = load_sim_scene(ROOT / "data" / "scenes" / "sim" / "cau_tan_de.yaml")
    cache = tmp_path / "renders"
    clip, reused = _render(scene, tmp_path, cache=cache, simulator=simulator)
    assert not reused and (tmp_path / "scratch") in clip.video.parents and not cache.exists()
