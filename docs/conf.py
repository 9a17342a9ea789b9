"""Sphinx configuration: furo theme, Markdown pages through myst-parser, autodoc for the API."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

# autodoc imports the kit's modules, which need configured Django settings and loaded apps.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
import django  # noqa: E402

django.setup()

import ecommerce_kit  # noqa: E402

project = "ecommerce_kit"
author = "the ecommerce_kit developers"
copyright = "2026, the ecommerce_kit developers"  # noqa: A001
release = ecommerce_kit.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"

html_theme = "furo"
html_title = f"ecommerce_kit {release}"
