from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.evidence_manifest import (
    EvidenceFile,
    EvidenceManifest,
    ManifestError,
    load_manifest,
    sha256_file,
    verify_folder,
    write_manifest,
)


def folder_with(tmp_path: Path) -> Path:
    (tmp_path / "clip.mp4").write_bytes(b"video")
    (tmp_path / "plate.jpg").write_bytes(b"plate")
    write_manifest(tmp_path, EvidenceManifest(violation_id="V1", files=(
        EvidenceFile(name="clip.mp4", sha256=sha256_file(tmp_path / "clip.mp4"), kind="clip", personal=True),
        EvidenceFile(name="plate.jpg", sha256=sha256_file(tmp_path / "plate.jpg"), kind="plate", personal=True,
                     redact=((1, 2, 3, 4),)),
    )))
    return tmp_path


def test_round_trip_and_intact(tmp_path: Path) -> None:
    folder = folder_with(tmp_path)
    manifest = load_manifest(folder)
    assert manifest.violation_id == "V1" and manifest.file("plate.jpg").redact == ((1, 2, 3, 4),)
    assert verify_folder(folder) == []


def test_tampering_and_missing_files_are_reported(tmp_path: Path) -> None:
    folder = folder_with(tmp_path)
    (folder / "clip.mp4").write_bytes(b"edited video")
    (folder / "plate.jpg").unlink()
    assert verify_folder(folder) == ["clip.mp4: SHA-256 does not match the manifest", "plate.jpg: missing"]


@pytest.mark.parametrize("name", ["../x", "a/b", "manifest.json", ".."])
def test_manifest_rejects_non_plain_names(tmp_path: Path, name: str) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"violation_id": "V1", "files": [{"name": name, "sha256": "0" * 64}]}), encoding="utf-8")
    with pytest.raises(ManifestError, match="plain file name"):
        load_manifest(tmp_path)


def test_missing_or_broken_manifest(tmp_path: Path) -> None:
    assert "missing" in verify_folder(tmp_path)[0]
    (tmp_path / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(ManifestError, match="unreadable"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"files": []}', encoding="utf-8")
    with pytest.raises(ManifestError, match="bad field"):
        load_manifest(tmp_path)
