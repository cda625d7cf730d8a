"""The golden templates: what `make golden` writes and the golden tests compare, said once.

`python -m tests.support.golden` rewrites tests/golden/<name>.yaml for each of GOLDEN_APPS
(every sample, the app with every kind of event handler, and the one whose `$connect`
needs IAM and an API key) by running `wsgen template`
(GOLDEN_ARGS) in-process in the app's folder, as the golden tests do;
`python -m tests.support.golden --runtime` prints GOLDEN_RUNTIME for the Makefile.
"""

from __future__ import annotations

import contextlib
import io
import sys

from .paths import ACCESS_APP, FANOUT_APP, GOLDEN, SAMPLE_NAMES, SAMPLES, SOURCES_APP

GOLDEN_RUNTIME = "python3.12"
"""The Lambda runtime of the golden templates, so that they do not depend on the Python
running the tests."""
GOLDEN_ARGS = ("template", "--runtime", GOLDEN_RUNTIME)
BYTECODE_NOTE = "note: the runtime layer ships "
"""How `wsgen template`'s one line about the layer's bytecode starts (`Result.notes`)."""
GOLDEN_APPS = {
    **{name: SAMPLES / name for name in SAMPLE_NAMES},
    "sources": SOURCES_APP,
    "fanout": FANOUT_APP,
    "access": ACCESS_APP,
}
"""Each golden template's name (tests/golden/<name>.yaml) and the app folder it comes from."""


def render_sample(sample: str) -> str:
    """`wsgen template` of GOLDEN_APPS[sample], as its golden template holds it."""
    from wsgen.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.chdir(GOLDEN_APPS[sample]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(list(GOLDEN_ARGS))
    errors = [line for line in err.getvalue().splitlines() if not line.startswith(BYTECODE_NOTE)]
    if code != 0 or errors:
        raise RuntimeError(f"{GOLDEN_APPS[sample]}: wsgen template exited {code}: {err.getvalue()}")
    return out.getvalue()


def main(argv: list[str]) -> int:
    if argv == ["--runtime"]:
        print(GOLDEN_RUNTIME)
        return 0
    if argv:
        print("usage: python -m tests.support.golden [--runtime]", file=sys.stderr)
        return 2
    try:
        rendered = {name: render_sample(name) for name in GOLDEN_APPS}
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for sample, text in rendered.items():
        (GOLDEN / f"{sample}.yaml").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
