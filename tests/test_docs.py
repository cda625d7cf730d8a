"""The documentation holds together: every link between README.md and the pages of docs/
reaches a file of the repository, and a heading of it when it names one."""

from __future__ import annotations

import re

from tests.support.markdown import anchors, code_blocks
from tests.support.paths import DOCS, PAGES, README, ROOT
from wsgen.keys import keys_of
from wsgen.settings import DomainSettings, FunctionSettings, RouteSettings, Settings

LINK = re.compile(r"\]\(([^)\s]+)\)")


def links(text: str) -> list[str]:
    """The link targets of a page, outside its code blocks, that stay in the repository."""
    for _, block in code_blocks(text):
        text = text.replace(block, "")
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


def test_every_link_reaches_a_file_and_a_heading() -> None:
    broken = []
    for page in PAGES:
        for target in links(page.read_text()):
            path, _, section = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists() or ROOT not in (file, *file.parents):
                broken.append(f"{page.name}: {target} (no such file)")
            elif section and (file.suffix != ".md" or section not in anchors(file)):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def test_the_readme_links_every_page() -> None:
    linked = set(links(README.read_text()))
    pages = {f"docs/{page.name}" for page in PAGES if page != README}
    assert pages - linked == set(), "name the page in README.md's Reference table"


def test_the_settings_page_names_every_key() -> None:
    text = (DOCS / "settings.md").read_text().split("\n## Every key\n", 1)[1]
    named = set(re.findall(r"`\[?([a-z_]+)[`.\]]", text))  # a key, or a table: `[domain]`
    missing = [
        f"{cls.__name__}.{key}"
        for cls in (Settings, FunctionSettings, RouteSettings, DomainSettings)
        for key in keys_of(cls)
        if key not in named
    ]
    assert missing == [], "add them to docs/settings.md's Every key"
