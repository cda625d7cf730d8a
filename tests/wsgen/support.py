"""Helpers shared by the wsgen tool's tests (fixtures are in conftest.py)."""

from __future__ import annotations

import json
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


@dataclass
class Result:
    code: int
    out: str
    err: str

    def template(self) -> dict[str, Any]:
        return parse(self.out)


def parse(text: str) -> dict[str, Any]:
    """A YAML or JSON template as plain long-form dicts (`!Ref X` becomes `{"Ref": "X"}`)."""
    loaded: dict[str, Any] = json.loads(json.dumps(load_yaml(text)))
    return loaded
