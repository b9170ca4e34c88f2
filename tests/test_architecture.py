"""The folder rules of ARCHITECTURE.md, checked by import-linter (contracts in pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([LINT, "--config", str(cwd / "pyproject.toml"), "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_project_keeps_every_contract() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in ("analytics", "layers", "dashboard", "pipelines", "simulator"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "dashboard" / "bad.py").write_text("import cv2\n", encoding="utf-8")
    (tmp_path / "analytics" / "bad.py").write_text("import dash\n", encoding="utf-8")
    (tmp_path / "pipelines" / "bad.py").write_text("from analytics import warehouse\n", encoding="utf-8")
    for module in ("warehouse", "queries", "accounts", "audit"):
        (tmp_path / "analytics" / f"{module}.py").write_text("", encoding="utf-8")
    result = lint(tmp_path)
    assert result.returncode != 0
    assert "3 broken" in result.stdout, result.stdout
