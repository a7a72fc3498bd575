"""The README stays a short introduction, and every link between the documents resolves."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCUMENTS = sorted(
    [README, PROJECT_ROOT / "bench" / "README.md", *(PROJECT_ROOT / "docs").rglob("*.md")]
)
README_MAX_LINES = 250
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def _anchors(document: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    anchors: set[str] = set()
    for heading in re.findall(r"^#+ (.+)$", _FENCE.sub("", document.read_text()), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchor, suffix = slug, 1
        while anchor in anchors:
            anchor, suffix = f"{slug}-{suffix}", suffix + 1
        anchors.add(anchor)
    return anchors


def _links(document: Path) -> list[str]:
    return _LINK.findall(_FENCE.sub("", document.read_text()))


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.relative_to(PROJECT_ROOT)))
def test_every_relative_link_resolves(document: Path) -> None:
    broken = []
    for link in _links(document):
        if re.match(r"[a-z]+:", link):
            continue  # http(s) and the like: not checked offline
        path, _, anchor = link.partition("#")
        target = (document.parent / path).resolve() if path else document
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and anchor not in _anchors(target):
            broken.append(f"{link}: no heading #{anchor} in {target.name}")
    assert broken == []


def test_the_readme_is_an_introduction_not_a_manual() -> None:
    lines = README.read_text().count("\n")
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines: move reference material into docs/ and link it"
    )


def test_the_readme_quick_start_names_recipes_that_exist() -> None:
    readme = README.read_text()
    for command in ("pip install uv", "uv run just dev", "uv run just test"):
        assert command in readme
    recipes = _recipes()
    assert {"dev", "test"} <= recipes


def test_every_docs_file_is_in_the_readme_map() -> None:
    readme = README.read_text()
    documents = sorted((PROJECT_ROOT / "docs").glob("*.*"))
    assert [d.name for d in documents if f"(docs/{d.name})" not in readme] == []
    assert "(docs/adr/)" in readme
    assert "(bench/README.md)" in readme


def _recipes() -> set[str]:
    just = str(Path(sys.executable).parent / "just")
    listing = subprocess.run(
        [just, "--summary"],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
    )
    return set(listing.stdout.split())


def test_every_recipe_is_documented() -> None:
    text = "\n".join(document.read_text() for document in DOCUMENTS)
    listed = _recipes() - {"default"}  # `just` alone lists the others
    assert sorted(r for r in listed if f"just {r}" not in text) == []
