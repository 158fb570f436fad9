"""Every relative link in README.md and docs/ leads somewhere: the file exists, and a ``#anchor`` names a
heading of the page it points at (GitHub's anchors), so moving or renaming a page or a section cannot
leave a dead link behind. Also: no page or message of the code points at a doc that is not there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.engine.harness import REPO

DOCUMENTS = sorted([REPO / "README.md", REPO / "CHANGELOG.md", *(REPO / "docs").rglob("*.md")])
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
DOC_NAME = re.compile(r"(?<![\w/.-])(?:docs/[\w/.-]+\.md|NOTES-[\w-]+\.md)")
"""A page of this project's docs (or a NOTES file) as code and messages name it; not another
project's ``website/docs/...``."""


def prose(text: str) -> str:
    """``text`` without its fenced code blocks (their brackets and ``#`` lines are code, not links)."""
    return FENCE.sub("", text)


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of every heading of ``page`` (a repeated one also as ``<anchor>-1``, ...)."""
    found: set[str] = set()
    for line in prose(page.read_text()).splitlines():
        heading = re.match(r"#{1,6} (.*)", line)
        if heading:
            name = anchor(heading[1])
            numbered = next(f"{name}-{n}" for n in range(1, 100) if f"{name}-{n}" not in found)
            found.add(name if name not in found else numbered)
    return found


def links(document: Path) -> list[str]:
    """The relative link targets of ``document`` (not URLs)."""
    return [
        target
        for target in LINK.findall(prose(document.read_text()))
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)
    ]


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d.relative_to(REPO)) for d in DOCUMENTS])
def test_every_relative_link_points_at_a_file_and_heading_that_exist(document: Path) -> None:
    dead = []
    for target in links(document):
        path, _, fragment = target.partition("#")
        page = (document.parent / path).resolve() if path else document
        if not page.exists():
            dead.append(f"{target}: no file {page.relative_to(REPO) if page.is_relative_to(REPO) else page}")
        elif fragment and (page.suffix != ".md" or fragment not in anchors(page)):
            dead.append(f"{target}: no heading #{fragment} in {page.relative_to(REPO)}")
    assert dead == [], f"{document.relative_to(REPO)}: dead links"


def test_the_checks_see_links_and_headings() -> None:
    readme = links(REPO / "README.md")
    assert "docs/configuration.md" in readme
    assert "docs/setup.md#where-state-and-secrets-live" in readme
    assert "the-docker-layer-dezkydocker" in anchors(REPO / "docs" / "configuration.md")
    assert anchor("`.env` from the stack outputs") == "env-from-the-stack-outputs"


def test_the_readme_links_every_docs_page() -> None:
    linked = {(REPO / target.partition("#")[0]).resolve() for target in links(REPO / "README.md")}
    pages = {page.resolve() for page in (REPO / "docs").glob("*.md")} | {REPO / "docs/resources/README.md"}
    assert sorted(str(page.relative_to(REPO)) for page in pages - linked) == []


def test_every_doc_the_code_names_exists() -> None:
    named = set()
    for folder in ("dezky_infra", "scripts", "tests", "policy", "bench"):
        for source in (REPO / folder).rglob("*"):
            if source.suffix in {".py", ".sh"} and source.name != Path(__file__).name:
                named |= set(DOC_NAME.findall(source.read_text()))
    assert named, "no doc is named in the code: the pattern is broken"
    assert sorted(doc for doc in named if not (REPO / doc).exists()) == []
