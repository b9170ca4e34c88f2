"""Which code a benchmark figure was measured on.

``code_fingerprint(root)`` names the state of everything that decides a measured figure —
the pipelines, the simulator that renders the clips and its truth, the shared analytics, the
shipped models and scene configs — as a 12-hex digest of their git tree ids, with ``+dirty``
when any of them has uncommitted changes (then the digest alone does not say what ran). A
change to the README, the dashboard or the tests leaves it as it was, so figures measured on
two commits that differ only there may stand side by side in one results file; figures of
two fingerprints may not (``bench_accuracy.py --add`` refuses to mix them).

Returns None outside a git checkout (a source tarball): nothing can be said then.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

MEASURED_PATHS = ("pipelines", "simulator", "analytics", "data/models", "data/scenes")


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_fingerprint(root: Path, paths: tuple[str, ...] = MEASURED_PATHS) -> str | None:
    """Digest of the git trees of ``paths`` at HEAD, ``+dirty`` if any has uncommitted or
    untracked (not ignored) changes; None when ``root`` is not a git checkout."""
    trees = []
    for path in paths:
        tree = _git(root, "rev-parse", f"HEAD:{path}")
        if tree is None:
            if _git(root, "rev-parse", "HEAD") is None:
                return None
            tree = "absent"
        trees.append(f"{path}={tree}")
    digest = hashlib.sha1("\n".join(trees).encode()).hexdigest()[:12]
    status = _git(root, "status", "--porcelain", "--", *paths)
    return digest + ("+dirty" if status else "")


def commit(root: Path) -> str | None:
    """The commit ``root`` stands on (short hash) when a results file is written; whether the
    measured code held uncommitted changes is the fingerprint's to say (the results files
    themselves are always uncommitted then)."""
    return _git(root, "rev-parse", "--short", "HEAD")
