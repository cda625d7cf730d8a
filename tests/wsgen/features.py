"""An app and a wsgen.toml using every template setting, for the whole-template checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.wsgen.support import GOLDEN_ARGS, Result

APP = """\
from runtime import App, AuthResponse

app = App(app_name="features")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.ws_authorizer(identity_sources=["route.request.querystring.token"])
def authorize(event):
    return AuthResponse.allow("user")


@app.on_ws_connect()
def connect(event):
    pass


@app.on_ws_connected()
def connected(event):
    pass


@app.on_ws_message()
def message(event):
    pass


@app.on_ws_message(route="join")
def join(event):
    pass


@app.on_ws_message(route="ping", reply=True)
def ping(event):
    return "pong"


@app.on_ws_disconnect()
def disconnect(event):
    pass
"""

TOML = """\
log_retention_days = 14
logging_level = "ERROR"
account_logging_role = true
throttling_burst_limit = 200
throttling_rate_limit = 100.5
content_handling = "CONVERT_TO_TEXT"
reserved_concurrency = 3
environment = { SHARED = "yes" }
architecture = "arm64"
tracing = true
access_log_deletion_policy = "Delete"

[routes."join"]
throttling_burst_limit = 10
throttling_rate_limit = 5
logging_level = "INFO"
data_trace = true

[domain]
name = "ws.example.com"
certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb"
base_path = "chat"
hosted_zone_id = "Z0123456789ABCDEFGHIJ"

[functions.worker]
routes = ["join", "$disconnect"]
memory_size = 1024
timeout = 10
reserved_concurrency = 5
environment = { ROLE = "worker" }
policies = ["AWSXrayWriteOnlyAccess"]

[functions.gate]
routes = ["$connect"]
authorizer = true
memory_size = 256
tracing = false
"""


def features_template(
    wsgen: Callable[..., Result], directory: Path, fmt: str = "yaml"
) -> tuple[str, dict[str, Any]]:
    """The template of the features app (written into `directory`): its text and its dict."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(APP)
    (directory / "wsgen.toml").write_text(TOML)
    result = wsgen(*GOLDEN_ARGS, "--format", fmt, cwd=directory)
    assert (result.code, result.err) == (0, ""), result.err
    return result.out, result.template()
