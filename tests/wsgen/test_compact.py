"""Deployment compaction keeps the code and drops what only readers and type checkers use."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import EVENTS, SAMPLES
from wsgen.compact import compact_source
from wsgen.layer import stage_runtime_layer

SOURCE = '''"""Module docstring."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
else:
    FALLBACK = 1


class Thing:
    """Class docstring."""

    __slots__ = ("a",)
    a: int
    """Attribute docstring."""

    def method(self, value: Any, *rest: int, flag: bool = True, **extra: str) -> int:
        """Method docstring."""
        total: int = value + 1  # a comment
        return total


def nothing_else() -> None:
    """Nothing else."""
'''


def test_docstrings_annotations_and_type_only_imports_go():
    out = compact_source(SOURCE)
    tree = ast.parse(out)
    assert "docstring" not in out and "comment" not in out
    assert "Any" not in out and "int" not in out and "->" not in out
    assert "FALLBACK = 1" in out
    assert "TYPE_CHECKING" not in out and "__future__" not in out
    assert "total = value + 1" in out
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.AnnAssign)]


def test_behaviour_is_unchanged():
    namespace: dict[str, object] = {}
    exec(compile(compact_source(SOURCE), "<compact>", "exec"), namespace)
    thing = namespace["Thing"]()  # type: ignore[operator]
    assert thing.method(41) == 42
    assert namespace["nothing_else"]() is None  # type: ignore[operator]
    assert namespace["FALLBACK"] == 1


def test_the_staged_runtime_runs_the_echo_sample_on_its_own(tmp_path: Path):
    """A fresh interpreter with only the staged layer and the app: the Lambda situation."""
    layer = stage_runtime_layer(tmp_path)
    code = f"""
import json, sys
sys.path[:0] = [{str(layer / "python")!r}, {str(SAMPLES / "echo")!r}]
import runtime, app
assert runtime.__file__.startswith({str(layer)!r}), runtime.__file__
results = [app.app(json.load(open(f)), None) for f in sys.argv[1:]]
print(json.dumps(results))
"""
    fixtures = [str(EVENTS / n) for n in ("connect.json", "disconnect_1001.json")]
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, *fixtures],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout.splitlines()[-1]) == [{"statusCode": 200}] * 2
