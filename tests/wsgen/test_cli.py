"""The `wsgen` command itself: what reaches the user when a command fails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.wsgen.support import ECHO, Result

Wsgen = Callable[..., Result]


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
