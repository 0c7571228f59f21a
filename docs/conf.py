"""Sphinx configuration of fasthttp's documentation site, built from the Markdown in docs/.

`sphinx-build -W -b html docs DIR` (warnings are errors) is what tests/test_docs_build.py runs.
Pages are Markdown read by myst-parser; the API reference (api.md) is autodoc on the installed
package; the theme is furo.
"""

from __future__ import annotations

import os
import sys

# The checkout's package, whether or not it is installed in the running environment.
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

import fasthttp  # noqa: E402

project = "fasthttp"
author = "fasthttp contributors"
copyright = "fasthttp contributors"  # noqa: A001 (Sphinx's name)
release = fasthttp.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# "#section" links inside and between pages: every heading down to ### gets an anchor.
myst_heading_anchors = 3

# Docstrings name objects in single backticks: link them when Sphinx knows the name.
default_role = "py:obj"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# Defaults as the source spells them (`_SENTINEL`, `json.dumps`), not their repr at run time.
autodoc_preserve_defaults = True
autodoc_default_options = {"members": True, "show-inheritance": True}

html_theme = "furo"
html_title = f"fasthttp {release}"
