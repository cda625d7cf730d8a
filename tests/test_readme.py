"""README.md's examples run: each block the tests name is taken from the README as it is.

A block is found by the heading of its section; it is written out as an app and driven with
`wsgen.testing.Client`, so an example calling something that does not exist fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.paths import README
from wsgen.loader import load_app
from wsgen.testing import Client


def python_block(heading: str) -> str:
    """The first ```python block of the section whose heading starts with `heading`."""
    text = README.read_text()
    start = text.index(f"\n## {heading}")
    match = re.compile(r"```python\n(.*?)```", re.S).search(text, start)
    assert match is not None, f"no python block under {heading!r}"
    return match.group(1)


def test_push_from_the_rest_of_aws_runs(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(python_block("Push from the rest of AWS"))
    app = load_app(tmp_path, "app:app")
    with Client(app) as client:
        first, second = client.connect(), client.connect()
        client.invoke("heartbeat")
        for ws in (first, second):
            assert set(ws.receive_json()) == {"time"}
        job = {"connection_id": second.connection_id, "id": "j-1"}
        client.invoke("run_jobs", body=json.dumps(job))
        assert second.receive_json() == {"done": "j-1"}
        assert first.receive_all() == []
