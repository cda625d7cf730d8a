"""`wsgen template --lint`: cfn-lint on the generated template, in-process.

cfn-lint is optional (`pip install 'wsgen[lint]'`) and imported only here. Its errors and
warnings fail the command; informational findings are not enabled (cfn-lint's own default).
The region is `AWS_REGION` or `AWS_DEFAULT_REGION` when cfn-lint knows it, else us-east-1
(cfn-lint's primary region): runtimes and resource types differ by region.

A rejected template is not written where it was asked for, so its findings point at files
that exist: at the merged file's line when the value came from that file (the file names a
resource wsgen does not make, or the very key cfn-lint flags), else at the line of the rejected
template, which `wsgen template` writes to `.wsgen/rejected-template.yaml` for reading; each
names the path cfn-lint gives (`Resources/Table/Properties/TimeToLive`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .exceptions import ConfigError, LintError

INSTALL = "pip install 'wsgen[lint]'"


@dataclasses.dataclass(frozen=True)
class Finding:
    rule: str
    """cfn-lint's rule id: E… an error, W… a warning."""
    line: int
    column: int
    message: str
    path: tuple[str | int, ...] = ()
    """Where in the template: `("Resources", "Table", "Properties", "TimeToLive")`."""

    def format(
        self, where: str, line: int | None = None, column: int | None = None, note: str = ""
    ) -> str:
        """`where:line:column: rule message (path; note)`, at the finding's own line unless
        another is given."""
        at = f"{where}:{line or self.line}:{column or self.column}"
        about = "; ".join(x for x in ("/".join(map(str, self.path)), note) if x)
        return f"{at}: {self.rule} {self.message}" + (f" ({about})" if about else "")


def region() -> str:
    from cfnlint.helpers import REGION_PRIMARY, REGIONS

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = os.environ.get(name, "")
        if value in REGIONS:
            return value
    return str(REGION_PRIMARY)


def lint_template(text: str) -> list[Finding]:
    """cfn-lint's findings on the template `text`, in line order.

    Raises:
        ConfigError: cfn-lint is not installed.
    """
    try:
        from cfnlint.api import lint
    except ImportError as exc:
        raise ConfigError(f"--lint needs cfn-lint; install it with {INSTALL}") from exc
    matches = lint(text, regions=[region()])
    findings = {
        Finding(
            m.rule.id,
            m.linenumber,
            m.columnnumber,
            " ".join(str(m.message).split()),
            tuple(getattr(m, "path", None) or ()),
        )
        for m in matches
    }
    return sorted(findings, key=lambda f: (f.line, f.column, f.rule))


def locate(
    findings: list[Finding],
    rejected: str,
    merged: Path | None = None,
    generated: Mapping[str, Any] | None = None,
) -> list[str]:
    """One line per finding, at the merged file's line when its value came from `merged`
    (`generated`: the template before merging), else at the line of `rejected`."""
    from cfnlint.decode import decode

    overlay = decode(str(merged))[0] if merged is not None else None
    lines = []
    for finding in findings:
        found = _find(overlay, finding.path) if overlay is not None else []
        entry = finding.path[:2]
        ours = len(found) == len(finding.path) or _find(generated, entry) != list(entry)
        if len(found) >= 2 and ours:
            line, column = _mark(overlay, found)
            lines.append(finding.format(str(merged), line, column))
        elif len(found) >= 2:
            note = f"wsgen's {entry[1]}, patched by {merged}"
            lines.append(finding.format(rejected, note=note))
        else:
            lines.append(finding.format(rejected))
    return lines


def _find(node: Any, path: Sequence[str | int]) -> list[str | int]:
    """The longest start of `path` that `node` holds."""
    found: list[str | int] = []
    for step in path:
        held = step in node if isinstance(node, Mapping) else _holds(node, step)
        if not held:
            break
        node = node[step]
        found.append(step)
    return found


def _holds(node: Any, index: str | int) -> bool:
    return isinstance(node, list) and isinstance(index, int) and 0 <= index < len(node)


def _mark(node: Any, path: Sequence[str | int]) -> tuple[int | None, int | None]:
    """The 1-based line and column of the last key (or item) of `path` in a decoded file."""
    mark = getattr(node, "start_mark", None)
    for step in path:
        key = next((k for k in node if k == step), None) if isinstance(node, Mapping) else None
        node = node[step]
        mark = getattr(key, "start_mark", None) or getattr(node, "start_mark", None) or mark
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def fail(findings: list[Finding], target: str, rejected: str) -> LintError:
    """The error ending a run whose template has `findings` (printed above it): nothing was
    written to `target` (a file, or stdout); the template is at `rejected`."""
    errors = sum(f.rule.startswith("E") for f in findings)
    counts = [_plural(errors, "error"), _plural(len(findings) - errors, "warning")]
    found = " and ".join(c for c in counts if not c.startswith("0 "))
    return LintError(
        f"cfn-lint found {found} in the template (listed above); nothing was written to "
        f"{target}; the rejected template is {rejected}"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"
