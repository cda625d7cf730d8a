"""The golden templates: what `make golden` writes and the golden tests compare, said once.

`python -m tests.support.golden` rewrites tests/golden/<sample>.yaml from each sample, by
running `wsgen template` (GOLDEN_ARGS) in-process in the sample's folder, as the golden
tests do; `python -m tests.support.golden --runtime` prints GOLDEN_RUNTIME for the Makefile.
"""

from __future__ import annotations

import contextlib
import io
import sys

from .paths import GOLDEN, SAMPLE_NAMES, SAMPLES

GOLDEN_RUNTIME = "python3.12"
"""The Lambda runtime of the golden templates, so that they do not depend on the Python
running the tests."""
GOLDEN_ARGS = ("template", "--runtime", GOLDEN_RUNTIME)


def render_sample(sample: str) -> str:
    """`wsgen template` of samples/<sample>, as its golden template holds it."""
    from wsgen.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.chdir(SAMPLES / sample),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(list(GOLDEN_ARGS))
    if code != 0 or err.getvalue():
        raise RuntimeError(f"samples/{sample}: wsgen template exited {code}: {err.getvalue()}")
    return out.getvalue()


def main(argv: list[str]) -> int:
    if argv == ["--runtime"]:
        print(GOLDEN_RUNTIME)
        return 0
    if argv:
        print("usage: python -m tests.support.golden [--runtime]", file=sys.stderr)
        return 2
    try:
        rendered = {sample: render_sample(sample) for sample in SAMPLE_NAMES}
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for sample, text in rendered.items():
        (GOLDEN / f"{sample}.yaml").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
