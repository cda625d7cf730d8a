"""Reading the documentation's Markdown as GitHub renders it: headings, anchors, code blocks."""

from __future__ import annotations

import re
from pathlib import Path

HEADING = re.compile(r"^(#{1,6}) (.+)$")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


def headings(text: str) -> list[str]:
    """The headings of a page, outside its code blocks."""
    found = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            found.append(match.group(2))
    return found


def anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation but `-` and `_`
    dropped, spaces turned into `-`."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {anchor(heading) for heading in headings(page.read_text())}


def code_blocks(text: str) -> list[tuple[str, str]]:
    """Every fenced block of a page, as (language, text)."""
    return [(match.group(1), match.group(2)) for match in FENCE.finditer(text)]


def python_block(page: Path, heading: str) -> str:
    """The first ```python block after the heading (of any level) that starts with `heading`."""
    text = page.read_text()
    match = re.compile(rf"^#+ {re.escape(heading)}", re.M).search(text)
    assert match is not None, f"no heading {heading!r} in {page.name}"
    block = re.compile(r"```python\n(.*?)```", re.S).search(text, match.end())
    assert block is not None, f"no python block under {heading!r} in {page.name}"
    return block.group(1)
