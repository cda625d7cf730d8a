"""The `wsgen` command itself: what reaches the user when a command fails."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.builders import ECHO
from tests.support.templates import Result

Wsgen = Callable[..., Result]


def wsgen_process(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m wsgen ARGV` in a subprocess of this Python, its output read as text."""
    return subprocess.run(
        [sys.executable, "-m", "wsgen", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _raise(exc: BaseException) -> Callable[..., object]:
    def run(*args: object, **kwargs: object) -> object:
        raise exc

    return run


def test_an_unexpected_exception_is_one_internal_error_line(
    wsgen: Wsgen, app_dir: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wsgen.template.build_template", _raise(KeyError("two\nlines")))
    result = wsgen("template", cwd=app_dir(ECHO))
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "error: internal error: KeyError: 'two\\nlines' "
        "(please report this: it is a bug in wsgen)\n"
    )


def test_an_unexpected_multi_line_message_stays_on_one_line(
    wsgen: Wsgen, app_dir: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wsgen.template.build_template", _raise(TypeError("one\ntwo")))
    result = wsgen("template", cwd=app_dir(ECHO))
    assert result.code == 1
    assert result.err == (
        "error: internal error: TypeError: one two (please report this: it is a bug in wsgen)\n"
    )


def test_ctrl_c_exits_130_without_a_traceback(
    wsgen: Wsgen, app_dir: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wsgen.template.build_template", _raise(KeyboardInterrupt()))
    result = wsgen("template", cwd=app_dir(ECHO))
    assert (result.code, result.out, result.err) == (130, "", "")


@pytest.mark.slow  # wsgen in a subprocess
def test_python_dash_m_wsgen_is_the_wsgen_command(app_dir: Callable[..., Path]) -> None:
    from wsgen import __version__

    version = wsgen_process("--version")
    assert (version.returncode, version.stdout) == (0, f"wsgen {__version__}\n")
    template = wsgen_process("template", cwd=app_dir(ECHO))
    assert template.returncode == 0, template.stderr
    assert "AWS::ApiGatewayV2::Api" in template.stdout
    bad = wsgen_process("template", "--app-dir", "/nonexistent")
    assert bad.returncode == 1 and bad.stderr.startswith("error: ")


SUBPROCESS_AT_IMPORT = """
import subprocess
import sys

subprocess.run([sys.executable, "-c", "print('from a subprocess at import')"], check=True)
print("from the app at import")

from runtime import App

app = App(app_name="noisy")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message()
def echo(event):
    pass
"""


@pytest.mark.slow  # wsgen in a subprocess
def test_a_subprocess_started_at_import_writes_to_stderr_not_the_template(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "app.py").write_text(SUBPROCESS_AT_IMPORT)
    result = wsgen_process("template", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "from a subprocess" not in result.stdout and "from the app" not in result.stdout
    assert "from a subprocess at import" in result.stderr and "from the app" in result.stderr
    assert "Resources" in yaml.load(result.stdout, Loader=yaml.BaseLoader)


SLOW_IMPORT = """
import time

time.sleep(4.5)  # a database the app waits for

from runtime import App

app = App(app_name="slow")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message()
def echo(event):
    pass
"""


@pytest.mark.slow  # wsgen in a subprocess
def test_an_import_still_running_after_3_s_says_which_line_it_waits_on(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SLOW_IMPORT)
    result = wsgen_process("template", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "wsgen: still importing app.py after 3 s; it is waiting in app.py line 4: "
        "time.sleep(4.5)  # a database the app waits for (Ctrl-C stops)"
    ) in result.stderr
