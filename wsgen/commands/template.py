"""`wsgen template`: the SAM template deploying the app, on stdout or into a file."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..lint import Finding

NAME = "template"
HELP = "print the SAM template that deploys the app (then: sam build && sam deploy --guided)"
EPILOG = """\
examples:
  wsgen template > template.yaml              in the app's directory: ./app.py, attribute app
  wsgen template --stage prod -o prod.yaml    another stage, written atomically to prod.yaml
  wsgen template --app-dir samples/chat --runtime python3.12 --format json
  wsgen template --lint -o template.yaml      checked by cfn-lint first, as in CI

Settings the template needs (memory, timeout, environment, policies, tags, log retention,
access and execution logging, throttling, a custom domain, per-route functions, a template
to merge) go in wsgen.toml beside app.py, per stage; flags override it.
The template refers to .wsgen/function (CodeUri: the app's modules, packages and
requirements.txt, not wsgen.toml or tests) and to .wsgen/runtime-layer (the runtime
package), both staged by this command in the app directory, by paths relative to where the
template is written: the current directory for stdout, the -o file's directory otherwise.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--app-dir", default=".", metavar="DIR", help="the app's directory (default: .)"
    )
    parser.add_argument(
        "--app",
        default="app:app",
        metavar="MODULE:ATTR",
        help="the App object; Lambda's handler is MODULE.ATTR (default: app:app)",
    )
    parser.add_argument(
        "--stage",
        default="api",
        metavar="NAME",
        help="API Gateway stage name and [stages.NAME] of wsgen.toml (default: api); "
        "letters, digits, - and _, for example --stage dev",
    )
    parser.add_argument(
        "--runtime",
        metavar="pythonX.Y",
        help="Lambda runtime (default: wsgen.toml's, else this Python's), e.g. python3.12",
    )
    parser.add_argument(
        "--format", choices=("yaml", "json"), default="yaml", help="output format (default: yaml)"
    )
    parser.add_argument(
        "--merge-template",
        metavar="FILE",
        help="JSON or YAML template deep-merged into the output (the file wins; lists are "
        "replaced), e.g. --merge-template resources.yaml",
    )
    parser.add_argument(
        "--lint",
        action="store_true",
        help="check the template with cfn-lint first (pip install 'wsgen[lint]'); its "
        "errors and warnings are printed and fail the command, writing nothing but the "
        "rejected template into .wsgen/ to read",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (atomically: on error it is left as it was) instead of stdout",
    )


def run(args: argparse.Namespace) -> int:
    from ..bundle import FUNCTION_DIR, stage_function
    from ..layer import LAYER_DIR, STAGING_DIR, stage_runtime_layer, staged_bytecode
    from ..lint import fail, locate
    from ..loader import load_spec
    from ..render import render
    from ..settings import load_settings, runtime_warning, today
    from ..template import build_template, generate
    from ..template.quotas import (
        check_environment_size,
        check_resource_quota,
        route_quota_warning,
    )

    app_dir = Path(args.app_dir)
    merge = Path(args.merge_template) if args.merge_template else None
    overrides = {"runtime": args.runtime, "merge_template": merge}
    _, spec = load_spec(app_dir, args.app)
    settings = load_settings(app_dir, args.stage, overrides, spec)
    where = Path(args.output).parent if args.output else Path()
    uris = {
        "code_uri": _relative(app_dir / FUNCTION_DIR, where),
        "layer_uri": _relative(app_dir / LAYER_DIR, where),
        "handler": _handler(args.app),
    }
    template = generate(spec, settings, **uris)
    check_resource_quota(template, merged=settings.merge_template is not None)
    check_environment_size(template)
    text = render(template, args.format)
    warnings = (runtime_warning(settings, today()), route_quota_warning(spec), *settings.warnings)
    for warning in warnings:
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    if args.lint:
        rejected = app_dir / STAGING_DIR / f"rejected-template.{args.format}"
        findings = _lint(text, rejected)
        if findings:
            merged = settings.merge_template
            unmerged = build_template(spec, settings, **uris).to_dict() if merged else None
            for line in locate(findings, str(rejected), merged, unmerged):
                print(line, file=sys.stderr)
            raise fail(findings, args.output or "stdout", str(rejected))
    stage_runtime_layer(app_dir, settings.runtime)
    _say_bytecode(staged_bytecode(app_dir), settings.runtime)
    stage_function(app_dir)
    if args.output:
        _write_atomically(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


def _say_bytecode(bytecode: str, runtime: str) -> None:
    """One stderr line: whether the runtime layer ships bytecode, and how to get it if not."""
    if bytecode.startswith("none: "):
        print(
            f"note: the runtime layer ships source only ({bytecode.removeprefix('none: ')}); "
            f"with a {runtime} interpreter here (e.g. pyenv install "
            f"{runtime.removeprefix('python')}) it would ship bytecode, compiled once instead "
            "of at every cold start",
            file=sys.stderr,
        )
    else:
        tag, _, python = bytecode.partition(" by ")
        print(
            f"note: the runtime layer ships {tag} bytecode (compiled by {python})", file=sys.stderr
        )


def _lint(text: str, rejected: Path) -> list[Finding]:
    """cfn-lint's findings on `text`; with any, the template is written to `rejected` (for
    the user to read what the lines point at), else a previous rejected one is removed."""
    from ..layer import ignore_staging_dir
    from ..lint import lint_template

    findings = lint_template(text)
    if not findings:
        rejected.unlink(missing_ok=True)
        return findings
    try:
        ignore_staging_dir(rejected.parent.parent)
        rejected.write_text(text, encoding="utf-8")
    except OSError as exc:
        from ..exceptions import ConfigError

        message = f"cannot write the rejected template: {exc.strerror}"
        raise ConfigError(message, str(rejected)) from exc
    return findings


def _handler(ref: str) -> str:
    """Lambda's `Handler` for `--app MODULE:ATTR`: `MODULE.ATTR`."""
    from ..loader import parse_app_ref

    module, attr = parse_app_ref(ref)
    return f"{module}.{attr}"


def _relative(path: Path, start: Path) -> str:
    """`path` relative to `start`, with `/`: templates carry no machine's absolute paths."""
    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` as a shell redirect would, but atomically.

    A symbolic link is written through (its target is replaced, the link stays); a file
    nobody may write is refused, not replaced; a FIFO or a device (`-o /dev/stdout`) is
    written to directly, since it cannot be replaced.
    """
    from ..exceptions import ConfigError

    if path.is_dir():
        raise ConfigError("is a directory; name a file, such as -o template.yaml", str(path))
    target = path.resolve() if path.is_symlink() else path
    try:
        info: os.stat_result | None = target.stat()
    except OSError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        try:
            with open(target, "w", encoding="utf-8", newline="") as out:
                out.write(text)
        except OSError as exc:
            raise ConfigError(f"cannot write it: {exc.strerror}", str(path)) from exc
        return
    if info is not None and (not info.st_mode & 0o222 or not os.access(target, os.W_OK)):
        raise ConfigError(
            "is read-only; make it writable (chmod u+w) or remove it first", str(path)
        )
    import tempfile  # with -o only

    try:
        fd, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    except OSError as exc:
        raise ConfigError(f"cannot write it: {exc.strerror}", str(path)) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, _mode(target))
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ConfigError(f"cannot write it: {exc.strerror}", str(path)) from exc


def _mode(path: Path) -> int:
    """The existing file's mode, else what a plain open() would give."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
