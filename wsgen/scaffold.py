"""The files `wsgen new NAME` writes: a small working app, its tests, settings and README.

Each file is a string with `{{name}}` where the project's name goes, `{{wsgen_requirement}}`
the line installing this wsgen (`wsgen_requirement`) and `{{python}}` this Python's `X.Y`
(plain replacement, so the files keep their own braces).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .exceptions import ScaffoldError

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")

APP_PY = '''\
"""{{name}}: a WebSocket API on API Gateway, written with wsgen."""

from runtime import App

app = App(app_name="{{name}}")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_connect()
def connect(event):
    # Return Response(status_code=403) (from runtime) to refuse the connection.
    # Nothing can be sent to the client until this handler has returned.
    print(f"connected: {event.connection_id}")


@app.on_ws_message(route="ping", reply=True)
def ping(event):
    """`{"action": "ping"}` is answered with the return value: a two-way route."""
    return {"action": "pong"}


@app.on_ws_message()
def message(event):
    """Every other message ($default) is echoed through the management API."""
    app.websocket_api.send(event.connection_id, f"echo: {event.body}")


@app.on_ws_disconnect()
def disconnect(event):
    print(f"disconnected: {event.connection_id} ({event.disconnect_status_code})")
'''

TEST_APP_PY = '''\
"""{{name}}'s tests: in memory, through the app's real entry point; no network, no AWS."""

import pytest
from wsgen.testing import Client

from app import app


@pytest.fixture
def client():
    with Client(app) as client:
        yield client


def test_messages_are_echoed(client):
    with client.connect() as ws:
        ws.send_text("hello")
        assert ws.receive() == "echo: hello"


def test_ping_is_answered(client):
    with client.connect() as ws:
        ws.send_json({"action": "ping"})
        assert ws.receive_json() == {"action": "pong"}


def test_each_client_gets_its_own_echo(client):
    with client.connect() as alice, client.connect() as bob:
        alice.send_text("hi from alice")
        assert alice.received == ["echo: hi from alice"]
        assert bob.received == []
'''

REQUIREMENTS_TXT = """\
# Packages your app imports, installed by `sam build` into the function.
# wsgen's runtime is not listed: `wsgen template` deploys it as a Lambda layer, and
# boto3 comes with Lambda's Python runtime.
"""

WSGEN_TOML = """\
# Deployment settings for `wsgen template`. Every key is optional; flags override them.
# Top-level keys apply to every stage; [stages.NAME] changes them for `--stage NAME`.

# runtime = "python3.12"             # Lambda runtime (default: the Python running wsgen)
# memory_size = 128                  # MB, 128-10240
# timeout = 30                       # seconds; API Gateway waits at most 29 s for a reply
log_retention_days = 14              # CloudWatch Logs retention of the function's logs
# merge_template = "resources.yaml"  # your own resources (e.g. a DynamoDB table), merged in
# policies = [{ DynamoDBCrudPolicy = { TableName = { Ref = "Table" } } }]

# [environment]                      # Lambda environment variables
# TABLE = { Ref = "Table" }          # a value may be a CloudFormation intrinsic

# [tags]
# project = "{{name}}"

[stages.prod]                        # wsgen template --stage prod
memory_size = 256
log_retention_days = 90
"""

REQUIREMENTS_DEV_TXT = """\
# What tests and CI need beyond requirements.txt (none of it goes to Lambda): wsgen, with
# cfn-lint for `wsgen template --lint`, and pytest. wsgen comes from where `wsgen new` was
# installed from; if you install it from elsewhere (a Git URL, a private index), write that
# here instead.
{{wsgen_requirement}}
pytest
"""

CI_YML = """\
# {{name}}'s CI: the tests, then the SAM template, checked by cfn-lint.
name: ci
on:
  push:
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{{python}}"  # also the template's Lambda runtime
      - name: Install
        run: python -m pip install -r requirements.txt -r requirements-dev.txt
      - name: Test
        run: pytest
      - name: Template
        run: wsgen template --lint -o template.yaml
"""

README_MD = """\
# {{name}}

A WebSocket API on Amazon API Gateway and AWS Lambda, written with wsgen: `app.py` holds
the handlers.

## Test

    pip install -r requirements.txt -r requirements-dev.txt
    pytest

`tests/test_app.py` connects to the app in memory with `wsgen.testing.Client`: no network,
no AWS account.

`requirements-dev.txt` installs wsgen from where `wsgen new` came from: its version from a
package index, or the Git URL or directory it was installed from. A directory is on your
machine only: for CI, replace it with a URL CI can reach (`wsgen[lint] @ git+https://...`).

## Run locally

    wsgen local

then connect with any WebSocket client, for example
`python -m websockets ws://127.0.0.1:8000/local` and send `{"action": "ping"}`.

## Deploy

    wsgen template > template.yaml
    sam build && sam deploy --guided

`sam deploy --guided` asks for a stack name and region once and saves them in
`samconfig.toml`; later deploys are `sam build && sam deploy`. The stack's outputs include
the `wss://` URL. Settings (memory, timeout, environment, stages) are in `wsgen.toml`:
`wsgen template --stage prod > template.yaml` deploys the `[stages.prod]` settings.

## CI

`.github/workflows/ci.yml` runs on every push and pull request (GitHub Actions): it installs
`requirements.txt` and `requirements-dev.txt`, runs `pytest`, then
`wsgen template --lint -o template.yaml`, which fails on any error or warning cfn-lint finds
in the template (your merged resources included). The same, on your machine:

    pytest && wsgen template --lint -o template.yaml

The workflow's Python is also the template's Lambda runtime, unless `wsgen.toml` sets
`runtime`.
"""

GITIGNORE = """\
.aws-sam/
.wsgen/
__pycache__/
"""

FILES = {
    "app.py": APP_PY,
    "requirements.txt": REQUIREMENTS_TXT,
    "requirements-dev.txt": REQUIREMENTS_DEV_TXT,
    "wsgen.toml": WSGEN_TOML,
    "README.md": README_MD,
    ".gitignore": GITIGNORE,
    "tests/__init__.py": "",  # so that a bare `pytest` puts the project on sys.path
    "tests/test_app.py": TEST_APP_PY,
    ".github/workflows/ci.yml": CI_YML,
}


def validate_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise ScaffoldError(
            f"invalid project name '{name}': start with a letter, then up to 63 letters, "
            "digits, '-' and '_' (it names the directory and the app)"
        )
    return name


def create_project(name: str, parent: Path) -> Path:
    """Write the project `parent/name`, all or nothing.

    Raises:
        ScaffoldError: the name is invalid, `parent` is not a directory, or `parent/name`
            exists already.
    """
    validate_name(name)
    if not parent.is_dir():
        raise ScaffoldError(f"--dir {parent} is not a directory")
    target = parent / name
    if target.exists() or target.is_symlink():
        raise ScaffoldError(f"{target} already exists; choose another name or remove it")
    try:
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{name}-"))
    except OSError as exc:
        raise ScaffoldError(f"cannot write in {parent}: {exc.strerror}") from exc
    try:
        for relative, text in FILES.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_fill(text, name), encoding="utf-8")
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; a project is not
        os.rename(staging, target)  # atomic: the project appears whole or not at all
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ScaffoldError(f"cannot write {target}: {exc.strerror}") from exc
    return target


def wsgen_requirement(direct_url: dict[str, Any] | None = None) -> str:
    """The requirements line installing `wsgen[lint]` from where this wsgen came from.

    pip records a wsgen installed from a URL, a Git repository or a directory (an editable
    checkout too) in its `direct_url.json` (PEP 610); one from an index has none, and the
    line pins its version. `direct_url` stands for that file's JSON (tests); by default it
    is read from the installed distribution.
    """
    if direct_url is None:
        direct_url = _installed_direct_url()
    url = direct_url.get("url") if direct_url else None
    if not isinstance(url, str):
        return f"wsgen[lint]=={__version__}"
    vcs = direct_url.get("vcs_info") if direct_url else None
    if isinstance(vcs, dict):
        commit = vcs.get("commit_id")
        at = f"@{commit}" if isinstance(commit, str) else ""
        return f"wsgen[lint] @ {vcs.get('vcs', 'git')}+{url}{at}"
    if url.startswith("file://"):
        comment = (
            "# wsgen runs from this directory on this machine; for CI, write a URL it can "
            "reach,\n# such as wsgen[lint] @ git+https://github.com/OWNER/wsgen@COMMIT\n"
        )
        return f"{comment}wsgen[lint] @ {url}"
    return f"wsgen[lint] @ {url}"


def _installed_direct_url() -> dict[str, Any] | None:
    # The first wsgen holding the file: a checkout's own `wsgen.egg-info` (setuptools'
    # leftover of an editable install) comes first when the checkout is on sys.path.
    texts = (d.read_text("direct_url.json") for d in metadata.distributions(name="wsgen"))
    text = next((text for text in texts if text), None)
    if text is None:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _fill(text: str, name: str) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    values = {
        "name": name,
        "wsgen_requirement": wsgen_requirement(),
        "python": python,
    }
    for key, value in values.items():
        text = text.replace(f"{{{{{key}}}}}", value)
    return text


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
