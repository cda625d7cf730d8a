"""The project cites its own facts: docs/aws-facts.md, never a folder outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.support.markdown import anchors
from tests.support.paths import ROOT

FACTS = ROOT / "docs" / "aws-facts.md"
OUTSIDE = re.compile(r"\.\./" + "shared|AWS-" + "FACTS")  # split so this file does not match
CITATION = re.compile(r"docs/aws-facts\.md#([a-z0-9-]+)")


def project_files() -> list[Path]:
    """Tracked files, and new ones not ignored: what a clone of the project will hold."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return [ROOT / name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def texts() -> dict[str, str]:
    found = {}
    for path in project_files():
        try:
            found[path.relative_to(ROOT).as_posix()] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # a binary file cites nothing
    return found


@pytest.mark.slow  # git ls-files, a subprocess
def test_no_file_outside_docs_cites_the_shared_folder() -> None:
    citing = [
        f"{name}:{number}"
        for name, text in texts().items()
        if not name.startswith("docs/")
        for number, line in enumerate(text.splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert citing == [], "cite docs/aws-facts.md instead"


@pytest.mark.slow  # git ls-files, a subprocess
def test_every_cited_section_of_the_facts_exists() -> None:
    known = anchors(FACTS)
    cited = {
        f"{name}: #{section}"
        for name, text in texts().items()
        for section in CITATION.findall(text)
        if section not in known
    }
    assert cited == set()
