"""The documentation site builds with warnings as errors, and the changelog drafts cleanly.

The site: Sphinx (myst-parser for the Markdown in docs/, furo, autodoc for the API reference),
as `sphinx-build -W` into a temporary directory, so a broken link, a page left out of the
table of contents or a docstring autodoc cannot read fails the suite. The changelog:
`towncrier build --draft` over the fragments in CHANGES/ (nothing is written). Both tools come
with the `docs` extra, which scripts/test installs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT = 120  # seconds; the build takes ~5 s on a quiet 2-core machine


def _sphinx_build(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html",
         "-d", str(out / ".doctrees"), str(source), str(out / "html")],
        cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
    )


def test_the_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    done = _sphinx_build(ROOT / "docs", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    html = tmp_path / "html"
    # The API reference was generated from the docstrings, not left empty.
    api = (html / "api.html").read_text(encoding="utf-8")
    for name in ("fasthttp.ClientSession", "fasthttp.ClientResponse", "fasthttp.web.Application"):
        assert f'id="{name}"' in api, name
    # CHANGES.md and CONTRIBUTING.md are part of the site.
    assert "towncrier" in (html / "changelog.html").read_text(encoding="utf-8")
    assert "Changelog" in (html / "contributing.html").read_text(encoding="utf-8")


def test_a_warning_fails_the_build(tmp_path: Path) -> None:
    """The check above can fail: a page with a broken link does not build."""
    source = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", source)
    with open(source / "migration.md", "a", encoding="utf-8") as page:
        page.write("\nSee [a page that does not exist](no-such-page.md).\n")
    done = _sphinx_build(source, tmp_path / "out")
    assert done.returncode != 0
    assert "no-such-page" in done.stdout + done.stderr


def _towncrier_draft(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "towncrier", "build", "--draft", "--dir", str(root)],
        cwd=root, capture_output=True, text=True, timeout=60,
    )


def test_the_changelog_drafts_cleanly() -> None:
    done = _towncrier_draft(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Draft only" in done.stdout + done.stderr
    # Every fragment of CHANGES/ is in the draft, with its issue (none: a release just ran).
    for fragment in (ROOT / "CHANGES").iterdir():
        issue = fragment.name.split(".")[0]
        if fragment.name != "README.md" and not issue.startswith("+"):
            assert f"#{issue}" in done.stdout, fragment.name
    assert "<!-- towncrier release notes start -->" in (ROOT / "CHANGES.md").read_text("utf-8")


def test_a_mistyped_fragment_fails_the_draft(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "CHANGES.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "CHANGES", tmp_path / "CHANGES")
    (tmp_path / "CHANGES" / "13.fature.md").write_text("A typo in the type.\n", "utf-8")
    done = _towncrier_draft(tmp_path)
    assert done.returncode != 0
    assert "13.fature.md" in done.stdout + done.stderr


@pytest.mark.parametrize("label", ["Homepage", "Documentation", "Changelog", "Issues"])
def test_the_package_metadata_has_the_project_urls(label: str) -> None:
    urls = [value for value in metadata.metadata("fasthttp").get_all("Project-URL") or []]
    assert any(url.startswith(f"{label}, https://") for url in urls), urls
