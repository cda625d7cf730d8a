"""The `wsgen` command: one subcommand per module in `wsgen.commands`.

Each command module has `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`, and
imports its heavy dependencies inside `run`, so `wsgen --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from . import __version__
from .exceptions import WsgenError

COMMANDS = ("new", "template", "local", "invoke")

EPILOG = """\
examples:
  wsgen new chat                   a ready project in ./chat: app, tests, settings, README
  wsgen template > template.yaml   SAM template for ./app.py; then sam build && sam deploy --guided
  wsgen local                      run ./app.py on a local API Gateway emulator
  wsgen invoke jobs --body '{...}'   fire an event handler of the app wsgen local runs
  wsgen <command> --help           every option of a command, with examples
"""


def _command_modules() -> list[ModuleType]:
    return [importlib.import_module(f"wsgen.commands.{name}") for name in COMMANDS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wsgen",
        description="Build Chalice-style WebSocket apps for API Gateway: "
        "generate their SAM template and run them locally.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"wsgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        sub = commands.add_parser(
            module.NAME,
            help=module.HELP,
            description=module.HELP,
            epilog=getattr(module, "EPILOG", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `wsgen`; a `WsgenError` is one `error:` line on stderr and exit code 1.

    Any other exception is a bug in wsgen: one `error: internal error:` line asking for a
    report, and exit code 1. Ctrl-C exits with 130, the shell's code for SIGINT.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = args.run(args)
    except WsgenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = " ".join(str(exc).split())
        print(
            f"error: internal error: {type(exc).__name__}: {message} "
            "(please report this: it is a bug in wsgen)",
            file=sys.stderr,
        )
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
