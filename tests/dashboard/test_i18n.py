from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.i18n import keys, normalise, t

ROOT = Path(__file__).resolve().parents[2]


def test_every_key_has_both_languages() -> None:
    for key in keys():
        vi, en = t(key, "vi"), t(key, "en")
        assert vi.strip() and en.strip(), key


def test_vietnamese_is_the_default() -> None:
    assert t("nav.map") == "Bản đồ"
    assert t("nav.map", "en") == "Map"
    assert t("nav.map", "fr") == "Bản đồ"
    assert normalise(None) == "vi" and normalise("en") == "en"


def test_placeholders() -> None:
    assert t("map.shown", "vi", n=481) == "Đang hiển thị 481 camera"


def test_unknown_key_fails_loudly() -> None:
    with pytest.raises(KeyError):
        t("no.such.key")


def test_every_key_used_in_code_exists() -> None:
    used: set[str] = set()
    for path in (ROOT / "dashboard").rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""", path.read_text(encoding="utf-8")))
        used |= set(re.findall(r"""nav_key=["']([a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "scanner found nothing"
    assert used - set(keys()) == set()
