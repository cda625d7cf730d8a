"""Helpers shared by the wsgen tool's tests (fixtures are in conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfn_tools import load_yaml

from tests.conftest import SAMPLES

GOLDEN = Path(__file__).parent.parent / "golden"
GOLDEN_RUNTIME = "python3.12"
GOLDEN_ARGS = ("template", "--runtime", GOLDEN_RUNTIME)
"""What `make golden` runs in each sample's directory."""
SAMPLE_NAMES = sorted(p.name for p in SAMPLES.iterdir() if (p / "app.py").is_file())

ECHO = """\
from runtime import App

app = App(app_name="t")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message()
def message(event):
    pass
"""


BYTECODE_NOTE = "note: the runtime layer ships "
"""How `wsgen template`'s one line about the layer's bytecode starts (`Result.notes`)."""


@dataclass
class Result:
    code: int
    out: str
    err: str
    """stderr without `wsgen template`'s bytecode note (in `notes`)."""
    notes: str = ""

    def template(self) -> dict[str, Any]:
        return parse(self.out)


def parse(text: str) -> dict[str, Any]:
    """A YAML or JSON template as plain long-form dicts (`!Ref X` becomes `{"Ref": "X"}`)."""
    loaded: dict[str, Any] = json.loads(json.dumps(load_yaml(text)))
    return loaded


def routes_source(count: int, *, replies: int = 0) -> str:
    """app.py of an app with `count` routes: `$connect` and custom routes r0, r1, ...

    The first `replies` custom routes are two-way.
    """
    lines = [
        "from runtime import App",
        "",
        f"app = App(app_name='routes{count}')",
        "app.experimental_feature_flags.update(['WEBSOCKETS'])",
        "",
        "",
        "def handler(event):",
        "    return 'ok'",
        "",
        "",
        "app.on_ws_connect()(handler)",
    ]
    lines += [
        f"app.on_ws_message(route='r{i}', reply={i < replies})(handler)" for i in range(count - 1)
    ]
    return "\n".join(lines) + "\n"


def functions_toml(functions: int, routes: int) -> str:
    """wsgen.toml giving each of `functions` functions `routes` of routes_source's routes."""
    tables = []
    for f in range(functions):
        keys = ", ".join(f'"r{f * routes + i}"' for i in range(routes))
        tables.append(f"[functions.f{f}]\nroutes = [{keys}]\n")
    return "".join(tables)


def quota_template(wsgen: Callable[..., Result], directory: Path) -> tuple[str, dict[str, Any]]:
    """The template of an app with API Gateway's 300 routes (written into `directory`).

    The default function's 275 routes share one integration and permission; a worker's 25
    two-way routes have theirs, and a route response each.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(routes_source(300, replies=25))
    worker = ", ".join(f'"r{i}"' for i in range(25))
    (directory / "wsgen.toml").write_text(f"[functions.worker]\nroutes = [{worker}]\n")
    result = wsgen(*GOLDEN_ARGS, cwd=directory)
    assert (result.code, result.err) == (0, ""), result.err
    return result.out, result.template()
