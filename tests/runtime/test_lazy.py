"""The runtime loads a feature's modules the first time an app uses the feature."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

import runtime
from tests.support.paths import EVENTS, ROOT, SAMPLES


def _fresh(probe: str, *paths: object) -> Any:
    """What `probe` prints as JSON, run by a fresh isolated interpreter with `paths` as argv."""
    argv = [sys.executable, "-I", "-S", "-c", probe, *map(str, paths)]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


FEATURE_MODULES = {
    "runtime.auth",
    "runtime.background",
    "runtime.connection",
    "runtime.connections",
    "runtime.dynamodb",
    "runtime.headers",
    "runtime.exceptions",
    "runtime.responses",
    "runtime.schedules",
    "runtime.selection",
    "runtime.sources",
    "runtime.spec",
    "runtime.store",
    "runtime.tasks",
}


def test_every_public_name_resolves_to_its_modules_object():
    for name in runtime.__all__:
        value = getattr(runtime, name)
        assert value.__name__ == name or name == "Chalice", name
        assert value.__module__.startswith("runtime."), name


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        runtime.Nope  # noqa: B018


COMMON_ERRORS = ("WebsocketError", "ClientError", "BadRequestError", "WebsocketDisconnectedError")


def test_the_common_errors_are_runtime_exceptions_classes_with_their_source():
    import inspect

    from runtime import common_errors, exceptions

    for name in COMMON_ERRORS:
        cls = getattr(common_errors, name)
        assert cls is getattr(exceptions, name) is getattr(runtime, name)
        assert cls.__module__ == "runtime.common_errors"
        assert inspect.getsource(cls).startswith(f"class {name}(")


def test_a_common_error_pickles_and_one_pickled_by_its_old_path_loads():
    import pickle

    error = runtime.WebsocketDisconnectedError("Xq4mT2rLpNcFa8w=")
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, runtime.WebsocketDisconnectedError)
    assert again.connection_id == "Xq4mT2rLpNcFa8w="
    # Protocol 0 names the class as text: what a pickle made when `__module__` said
    # runtime.exceptions holds.
    old = pickle.dumps(error, protocol=0).replace(b"runtime.common_errors", b"runtime.exceptions")
    assert b"runtime.exceptions\nWebsocketDisconnectedError" in old
    loaded = pickle.loads(old)
    assert type(loaded) is runtime.WebsocketDisconnectedError
    assert loaded.connection_id == "Xq4mT2rLpNcFa8w="


@pytest.mark.slow  # a fresh interpreter
def test_the_echo_app_loads_no_feature_module_until_it_is_used():
    probe = (
        "import json, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import app; "
        "before = sorted(m for m in sys.modules if m.startswith('runtime')); "
        "os = 'os' in sys.modules; "
        "app.app.connections; from runtime import SQSEvent, Task; "
        "after = sorted(m for m in sys.modules if m.startswith('runtime')); "
        "print(json.dumps([before, after, os]))"
    )
    before, after, os_loaded = _fresh(probe, SAMPLES / "echo", ROOT)
    assert not FEATURE_MODULES & set(before)
    assert {"runtime.connections", "runtime.sources", "runtime.tasks"} <= set(after)
    assert not os_loaded  # os comes with the first send


@pytest.mark.slow  # a fresh interpreter
def test_a_task_s_and_the_fan_out_s_functions_load_no_event_source_module():
    probe = (
        "import json, sys; sys.path[:0] = [sys.argv[1]]; from runtime import App\n"
        "app = App('lazy', fan_out=True)\n"
        "@app.task()\n"
        "def job(): pass\n"
        "app.function_handler('job'); app.function_handler('wsgen_fan_out')\n"
        "print(json.dumps('runtime.sources' in sys.modules))"
    )
    assert _fresh(probe, ROOT) is False


@pytest.mark.slow  # a fresh interpreter
def test_handlers_returning_nothing_load_no_responses_module_one_returning_a_value_does():
    probe = (
        "import json, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import app\n"
        "event = json.load(open(sys.argv[3]))\n"
        "out, sys.stdout = sys.stdout, open(__import__('os').devnull, 'w')  # the handler prints\n"
        "first = app.app(event, None)\n"
        "sys.stdout = out\n"
        "before = 'runtime.responses' in sys.modules\n"
        "app.app.on_ws_message('ping', reply=True)(lambda event: {'pong': 1})\n"
        "event['requestContext']['routeKey'] = 'ping'\n"
        "reply = app.app(event, None)\n"
        "print(json.dumps([first, before, reply, 'runtime.responses' in sys.modules]))"
    )
    first, before, reply, after = _fresh(probe, SAMPLES / "echo", ROOT, EVENTS / "connect.json")
    assert first == {"statusCode": 200}
    assert not before
    assert reply == {"statusCode": 200, "body": '{"pong":1}'}
    assert after


@pytest.mark.slow  # a fresh interpreter
def test_a_send_that_succeeds_compiles_nothing_of_failures_one_answered_503_does(
    server, monkeypatch
):
    """The cold start's first send loads neither AWS's error readers and retry rules
    (`runtime.aws_errors`) nor the JSON-protocol seam; a throttled send loads the first,
    is retried, and the success after it gives back the retry's quota."""
    url, script = server
    monkeypatch.setenv("WSGEN_WEBSOCKET_ENDPOINT", f"{url}/local")
    for name, value in [("AWS_ACCESS_KEY_ID", "AKID"), ("AWS_SECRET_ACCESS_KEY", "SECRET")]:
        monkeypatch.setenv(name, value)  # Lambda's: the runtime signs, no boto3
    script.answers += [(200, {}, b""), (503, {}, b""), (200, {}, b"")]
    probe = (
        "import json, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import app\n"
        "event = json.load(open(sys.argv[3]))\n"
        "loaded = lambda: sorted({'runtime.aws', 'runtime.aws_errors', 'runtime.aws_json'}"
        " & set(sys.modules))\n"
        "import time; time.sleep = lambda seconds: None  # the backoff\n"
        "app.app(event, None); first = loaded()\n"
        "app.app(event, None); second = loaded()\n"
        "quota = sys.modules['runtime.aws_errors']._quota\n"
        "print(json.dumps([first, second, quota]))"
    )
    first, second, quota = _fresh(probe, SAMPLES / "echo", ROOT, EVENTS / "message_default.json")
    assert first == ["runtime.aws"]
    assert second == ["runtime.aws", "runtime.aws_errors"]
    assert quota == 500
    assert [r["method"] for r in script.received] == ["POST"] * 3
