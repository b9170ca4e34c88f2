"""Which code a benchmark figure was measured on.

``code_fingerprint(root)`` names the state of everything that decides a measured figure —
the pipelines, the simulator that renders the clips and its truth, the shared analytics, the
shipped models and scene configs — as a 12-hex digest of their git tree ids, with ``+dirty``
when any of them has uncommitted changes (then the digest alone does not say what ran). A
change to the README, the dashboard or the tests leaves it as it was, so figures measured on
two commits that differ only there may stand side by side in one results file; figures of
two fingerprints may not (``added_clips``, behind the benches' ``--add``, refuses to mix them).

Returns None outside a git checkout (a source tarball): nothing can be said then.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
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


def added_clips(results: Path, rows: list[dict], *, settings: dict[str, object], code: str | None) -> list[dict]:
    """``rows`` with the clips of the results file ``results`` whose scene × condition was not
    measured now. ``settings`` are the file-level figures the clips were measured with (scored
    seconds, head and tail, …), which must be the file's, and ``code`` the fingerprint of the
    code measured now, which must be that of every clip kept (a clip measured before
    fingerprints were kept is kept with a warning: nothing can be checked). Refusals exit
    with the reason (``SystemExit``)."""
    if code is None or code.endswith("+dirty"):
        raise SystemExit(f"--add: the measured code is {'not in git' if code is None else 'uncommitted'}; "
                         "commit it so that the clips added can be told to be of the same code")
    old = json.loads(results.read_text(encoding="utf-8"))
    theirs = {key: old.get(key) for key in settings}
    if theirs != settings:
        raise SystemExit(f"{results}: its clips were measured with {theirs}, these with {settings}")
    done = {(r["scene"], r["condition"]) for r in rows}
    # a clip row without its own fingerprint or time was measured in the run that wrote the file
    kept = [{**r, "measured_at": r.get("measured_at", old["measured_at"]), "code": r.get("code", old.get("code"))}
            for r in old["clips"] if (r["scene"], r["condition"]) not in done]
    other = sorted({f"{r['scene']}/{r['condition']} ({r['code']})" for r in kept if r.get("code") not in (None, code)})
    if other:
        raise SystemExit(f"{results}: clips measured on other code than {code}: {', '.join(other)}; "
                         "measure them all again")
    unknown = [f"{r['scene']}/{r['condition']}" for r in kept if r.get("code") is None]
    if unknown:
        print(f"warning: {len(unknown)} clips of {results.name} were measured before code fingerprints were kept; "
              "they are kept on trust", file=sys.stderr)
    return kept + rows
