"""What a fresh interpreter has imported after `import runtime` and a line of code."""

from __future__ import annotations

import json
import subprocess
import sys

from .paths import ROOT

PROBE = """
import json, sys
sys.path[:0] = {paths!r}
import runtime
{extra}
print(json.dumps(sorted(sys.modules)))
"""


def imported_after(extra: str = "", paths: tuple[str, ...] = ()) -> list[str]:
    """The modules loaded once `extra` ran after `import runtime` (`-I -S`: nothing else)."""
    code = PROBE.format(paths=[str(ROOT), *paths], extra=extra)
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True
    ).stdout
    modules: list[str] = json.loads(out)
    return modules
