"""The code fingerprint of benchmark figures, on a real git repository: it moves with the
measured folders, not with the rest, says when they hold uncommitted changes, and
``bench_accuracy --add`` refuses to put clips of two fingerprints in one results file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bench.provenance import added_clips, code_fingerprint, commit


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for folder in ("pipelines", "simulator", "analytics", "data/models", "data/scenes"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "a.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("figures\n", encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    return tmp_path


def test_the_fingerprint_moves_with_the_measured_code_only(repo: Path) -> None:
    first = code_fingerprint(repo)
    assert first is not None and len(first) == 12
    (repo / "README.md").write_text("new figures\n", encoding="utf-8")
    git(repo, "commit", "-qam", "docs")
    assert code_fingerprint(repo) == first
    (repo / "simulator" / "a.py").write_text("x = 2\n", encoding="utf-8")
    assert code_fingerprint(repo) == first + "+dirty"
    git(repo, "commit", "-qam", "sim")
    assert code_fingerprint(repo) not in (first, first + "+dirty")
    assert commit(repo)


def test_an_untracked_file_in_a_measured_folder_makes_it_dirty(repo: Path) -> None:
    (repo / "pipelines" / "new_rule.py").write_text("", encoding="utf-8")
    fingerprint = code_fingerprint(repo)
    assert fingerprint is not None and fingerprint.endswith("+dirty")


def test_outside_git_there_is_no_fingerprint(tmp_path: Path) -> None:
    assert code_fingerprint(tmp_path) is None
    assert commit(tmp_path) is None


def _results(path: Path, codes: dict[str, str | None]) -> None:
    clips = [{"scene": scene, "condition": "day", "code": code, "measured_at": "2026-12-01T00:00:00+00:00"}
             for scene, code in codes.items()]
    path.write_text(json.dumps({"measured_at": "2026-12-01T00:00:00+00:00", "seconds_per_clip": 45.0,
                                "head_s": 4.0, "tail_s": 8.0, "clips": clips}), encoding="utf-8")


def test_adding_clips_of_other_code_to_a_results_file_is_refused(tmp_path: Path) -> None:
    def added(results: Path, rows: list[dict], timing: tuple[float, float, float], code: str) -> list[dict]:
        return added_clips(results, rows, settings=dict(zip(("seconds_per_clip", "head_s", "tail_s"), timing)),
                           code=code)

    results = tmp_path / "accuracy_yolo.json"
    new = [{"scene": "b", "condition": "day", "code": "c2"}]
    _results(results, {"a": "c1", "b": "c1"})
    with pytest.raises(SystemExit, match="a/day"):
        added(results, new, (45.0, 4.0, 8.0), "c2")
    _results(results, {"a": "c2", "b": "c1"})  # b measured again now: its old row goes
    assert [(r["scene"], r["code"]) for r in added(results, new, (45.0, 4.0, 8.0), "c2")] == [("a", "c2"), ("b", "c2")]
    with pytest.raises(SystemExit, match="uncommitted"):
        added(results, new, (45.0, 4.0, 8.0), "c2+dirty")
    with pytest.raises(SystemExit, match="measured with"):
        added(results, new, (60.0, 4.0, 8.0), "c2")


def test_added_clips_must_share_every_setting_of_the_file(tmp_path: Path) -> None:
    """The count bench adds night clips to the day ones only at the same minutes, margins and seed."""
    results = tmp_path / "counts_yolo.json"
    settings = {"minutes": 15.0, "head_s": 4.0, "tail_s": 8.0, "seed": 9101}
    results.write_text(json.dumps({"measured_at": "2026-12-01T00:00:00+00:00", "code": "c1", **settings, "clips": [
        {"scene": "a", "condition": "day"}]}), encoding="utf-8")  # a row of the run that wrote the file
    night = [{"scene": "a", "condition": "night", "code": "c1"}]
    assert [r["condition"] for r in added_clips(results, night, settings=settings, code="c1")] == ["day", "night"]
    with pytest.raises(SystemExit, match="measured with"):
        added_clips(results, night, settings={**settings, "seed": 9102}, code="c1")
    with pytest.raises(SystemExit, match="a/day"):
        added_clips(results, [{**night[0], "code": "c2"}], settings=settings, code="c2")
