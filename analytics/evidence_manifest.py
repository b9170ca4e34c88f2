"""The evidence manifest: what files a violation's evidence folder holds and their SHA-256.

Contract: ``manifest.json`` in each evidence folder lists every file with its hash, its
kind, whether it shows personal data (plates, faces), the boxes to mask for viewers
without personal-data permission (images) and an optional pre-masked variant (videos).
``verify_folder`` re-hashes every listed file and returns the problems found; an empty
list means the folder is intact. Writers (pipelines) and readers (dashboard) share it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"


class ManifestError(ValueError):
    """The manifest is missing or malformed; the message names the folder and field."""


@dataclass(frozen=True, kw_only=True, slots=True)
class EvidenceFile:
    name: str
    sha256: str
    kind: str  # clip | keyframe | plate | other
    personal: bool
    redact: tuple[tuple[int, int, int, int], ...] = ()
    masked: str | None = None  # name of a pre-masked variant listed in the same manifest


@dataclass(frozen=True, kw_only=True, slots=True)
class EvidenceManifest:
    violation_id: str
    files: tuple[EvidenceFile, ...]

    def file(self, name: str) -> EvidenceFile | None:
        return next((f for f in self.files if f.name == name), None)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_manifest(folder: Path) -> EvidenceManifest:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: missing") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: unreadable: {exc}") from exc
    try:
        files = tuple(
            EvidenceFile(
                name=str(f["name"]), sha256=str(f["sha256"]), kind=str(f.get("kind", "other")),
                personal=bool(f.get("personal", False)),
                redact=tuple(tuple(int(v) for v in box) for box in f.get("redact", ())),  # type: ignore[misc]
                masked=f.get("masked"),
            )
            for f in data["files"]
        )
        manifest = EvidenceManifest(violation_id=str(data["violation_id"]), files=files)
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"{path}: bad field: {exc}") from exc
    for f in manifest.files:
        if "/" in f.name or "\\" in f.name or f.name in ("", ".", "..", MANIFEST):
            raise ManifestError(f"{path}: file name {f.name!r} is not a plain file name")
    return manifest


def write_manifest(folder: Path, manifest: EvidenceManifest) -> Path:
    """Write ``manifest.json`` atomically (temp file + rename)."""
    payload = {
        "violation_id": manifest.violation_id,
        "files": [
            {"name": f.name, "sha256": f.sha256, "kind": f.kind, "personal": f.personal,
             "redact": [list(b) for b in f.redact], **({"masked": f.masked} if f.masked else {})}
            for f in manifest.files
        ],
    }
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return tmp.replace(folder / MANIFEST)


def verify_folder(folder: Path) -> list[str]:
    """Every problem of the folder: unreadable manifest, missing or altered files."""
    try:
        manifest = load_manifest(folder)
    except ManifestError as exc:
        return [str(exc)]
    problems = []
    for f in manifest.files:
        path = folder / f.name
        if not path.is_file():
            problems.append(f"{f.name}: missing")
        elif sha256_file(path) != f.sha256:
            problems.append(f"{f.name}: SHA-256 does not match the manifest")
    return problems
