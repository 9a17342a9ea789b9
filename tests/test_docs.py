"""The documentation covers every setting (the Sphinx build itself runs in tox's docs env)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecommerce_kit.conf import DEFAULTS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _documented_settings() -> set[str]:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#{2,4} `([A-Z][A-Z0-9_]*)`\s*$", text, re.MULTILINE)
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", text, re.MULTILINE)
    return set(headings) | set(rows)


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_setting_is_documented(key):
    assert key in _documented_settings(), f"Add a section for {key} to docs/settings.md"


def test_documented_settings_exist():
    assert _documented_settings() - set(DEFAULTS) == set()


def test_toctree_lists_only_existing_pages():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    toctree = re.search(r"```\{toctree\}\n(.*?)```", index, re.DOTALL)
    assert toctree is not None
    entries = [
        line.strip()
        for line in toctree.group(1).splitlines()
        if line.strip() and not line.startswith(":")
    ]
    assert entries[0] == "installation" and entries[-1] == "changelog"
    for entry in entries:
        assert (DOCS / f"{entry}.md").exists(), entry
