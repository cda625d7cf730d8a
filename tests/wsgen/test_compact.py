"""Deployment compaction keeps the code and drops what only readers and type checkers use."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from tests.support.paths import EVENTS, ROOT, SAMPLES
from wsgen.compact import compact_source
from wsgen.layer import stage_runtime_layer

SOURCE = '''"""Module docstring."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Thing:
    """Class docstring."""

    __slots__ = ("a",)
    a: int
    """Attribute docstring."""

    def method(self, value: Any, *rest: int, flag: bool = True, **extra: str) -> int:
        """Method docstring."""
        total: int = value + 1  # a comment
        text = f"{'é'}: {value!r}"  # non-ASCII before a cut: columns are bytes in ast
        return total if text else 0


def nothing_else() -> None:
    """Nothing else."""


KEPT = """line one

line three, after a blank line that is part of the value"""
'''

WITH_ELSE = """TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
else:
    Any = object
"""


def significant_tokens(source: str) -> list[str]:
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    return [
        t.string
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type not in skip and t.string
    ]


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    remaining = iter(whole)
    return all(any(token == other for other in remaining) for token in part)


def test_docstrings_comments_annotations_and_type_only_imports_go():
    out = compact_source(SOURCE)
    assert "docstring" not in out and "comment" not in out
    assert "Any" not in out and "int" not in out and "->" not in out
    assert "TYPE_CHECKING" not in out and "__future__" not in out
    assert "total = value + 1" in out
    assert not [n for n in ast.walk(ast.parse(out)) if isinstance(n, ast.AnnAssign)]
    assert "\n  total = value + 1\n" in out  # one space a level


def test_behaviour_is_unchanged():
    namespace: dict[str, object] = {}
    exec(compile(compact_source(SOURCE), "<compact>", "exec"), namespace)
    thing = namespace["Thing"]()  # type: ignore[operator]
    assert thing.method(41) == 42
    assert namespace["nothing_else"]() is None  # type: ignore[operator]
    assert namespace["KEPT"] == (
        "line one\n\nline three, after a blank line that is part of the value"
    )


def test_an_emptied_type_checking_block_leaves_nothing_behind():
    """A docstring-only method inside `if TYPE_CHECKING:` goes with the block, not as `pass`."""
    source = (
        "TYPE_CHECKING = False\n"
        "if TYPE_CHECKING:\n"
        "    from typing import Protocol\n"
        "\n"
        "    class Reader(Protocol):\n"
        "        def read(self) -> bytes:\n"
        '            """Read it all."""\n'
        "\n"
        "\n"
        "def kept() -> int:\n"
        '    """Only a docstring would leave the body empty; this one returns."""\n'
        "    return 1\n"
    )
    out = compact_source(source)
    assert out == "def kept():\n return 1\n"


def test_an_else_branch_keeps_the_flag_it_needs():
    namespace: dict[str, object] = {}
    exec(compile(compact_source(WITH_ELSE), "<compact>", "exec"), namespace)
    assert namespace["Any"] is object


def test_a_type_checking_block_with_an_else_keeps_only_the_else():
    """Its body never runs (the flag is False), so it compiles as `pass`: source compiled at
    every cold start without bytecode is start-up time."""
    out = compact_source(WITH_ELSE)
    assert out == "TYPE_CHECKING = False\nif TYPE_CHECKING:\n pass\nelse:\n Any = object\n"


def test_compaction_only_deletes_so_the_source_syntax_is_kept():
    """Nothing is regenerated: the output's tokens are the source's, minus some, in order
    (plus `pass` where a body held only a docstring)."""
    for path in sorted((ROOT / "runtime").glob("*.py")):
        source = path.read_text()
        out = compact_source(source, str(path))
        compile(out, str(path), "exec")
        kept = [token for token in significant_tokens(out) if token != "pass"]
        assert is_subsequence(kept, significant_tokens(source)), path.name


def newer_pythons() -> list[Path]:
    versions = Path.home() / ".pyenv" / "versions"
    found = [sorted(versions.glob(f"3.{minor}.*/bin/python")) for minor in (12, 13)]
    return [paths[-1] for paths in found if paths]


@pytest.mark.slow  # subprocesses
def test_compacting_on_a_newer_python_gives_the_same_bytes_for_older_runtimes():
    """wsgen on 3.12 or 3.13 staging a python3.11 layer: the layer must still be 3.11's."""
    pythons = newer_pythons()
    if not pythons:
        pytest.skip("no Python 3.12 or 3.13 under ~/.pyenv/versions to compact with")
    script = (
        "import json, runpy, sys; compact = runpy.run_path(sys.argv[1])['compact_source']; "
        "print(json.dumps({p: compact(open(p).read(), p) for p in sys.argv[2:]}))"
    )
    paths = [str(p) for p in sorted((ROOT / "runtime").glob("*.py"))]
    here = {p: compact_source(Path(p).read_text(), p) for p in paths}
    for python in pythons:
        done = subprocess.run(
            [str(python), "-I", "-c", script, str(ROOT / "wsgen" / "compact.py"), *paths],
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(done.stdout) == here, python


@pytest.mark.slow  # a subprocess
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
