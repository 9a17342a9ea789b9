"""Every plugin hook is documented in docs/hooks.md with its exact signature."""

from __future__ import annotations

import re
from pathlib import Path

from ecommerce_kit.plugins import get_plugin_manager

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _documented_hooks() -> dict[str, tuple[str, ...]]:
    text = (DOCS / "hooks.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#{2,4} `?([a-z_][a-z0-9_]*)\(([^)]*)\)`?\s*$", text, re.MULTILINE)
    return {name: tuple(a.strip() for a in args.split(",") if a.strip()) for name, args in headings}


def test_every_hook_documented() -> None:
    documented = _documented_hooks()
    hooks = {
        name: caller.spec.argnames
        for name, caller in vars(get_plugin_manager().hook).items()
        if getattr(caller, "spec", None) is not None
    }
    assert hooks, "no hook specifications found"
    for name, argnames in hooks.items():
        assert name in documented, f"Document {name}({', '.join(argnames)}) in docs/hooks.md"
        assert documented[name] == tuple(argnames), (
            f"docs/hooks.md documents {name}{documented[name]}, the spec is {name}{argnames}"
        )
    assert set(documented) - set(hooks) == set(), "docs/hooks.md documents hooks that do not exist"
