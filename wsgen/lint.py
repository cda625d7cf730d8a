"""`wsgen template --lint`: cfn-lint on the generated template, in-process.

cfn-lint is optional (`pip install 'wsgen[lint]'`) and imported only here. Its errors and
warnings fail the command; informational findings are not enabled (cfn-lint's own default).
The region is `AWS_REGION` or `AWS_DEFAULT_REGION` when cfn-lint knows it, else us-east-1
(cfn-lint's primary region): runtimes and resource types differ by region.
"""

from __future__ import annotations

import dataclasses
import os

from .exceptions import ConfigError, LintError

INSTALL = "pip install 'wsgen[lint]'"


@dataclasses.dataclass(frozen=True)
class Finding:
    rule: str
    """cfn-lint's rule id: E… an error, W… a warning."""
    line: int
    column: int
    message: str

    def format(self, where: str) -> str:
        return f"{where}:{self.line}:{self.column}: {self.rule} {self.message}"


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
        Finding(m.rule.id, m.linenumber, m.columnnumber, " ".join(str(m.message).split()))
        for m in matches
    }
    return sorted(findings, key=lambda f: (f.line, f.column, f.rule))


def fail(findings: list[Finding], where: str) -> LintError:
    """The error ending a run whose template has `findings` (printed above it)."""
    errors = sum(f.rule.startswith("E") for f in findings)
    counts = [_plural(errors, "error"), _plural(len(findings) - errors, "warning")]
    found = " and ".join(c for c in counts if not c.startswith("0 "))
    return LintError(f"cfn-lint found {found} in {where} (listed above); nothing was written")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"
