"""`wsgen new NAME`: write a ready project (app, tests, settings, README) to start from."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "new"
HELP = "create a new project NAME/: app.py, tests, wsgen.toml, a CI workflow and a README"
EPILOG = """\
examples:
  wsgen new chat                  writes ./chat/ (refused if it exists)
  wsgen new chat --dir ~/src      writes ~/src/chat/

then:
  cd chat && pip install -r requirements.txt -r requirements-dev.txt
  pytest                          the project's tests, in memory
  wsgen local                     run it on the local emulator
  wsgen template > template.yaml && sam build && sam deploy --guided
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        metavar="NAME",
        help="the project's directory and app name: a letter, then letters, digits, - or _",
    )
    parser.add_argument(
        "--dir",
        default=".",
        metavar="PARENT",
        help="where to create NAME/ (default: the current directory)",
    )


def run(args: argparse.Namespace) -> int:
    from ..scaffold import FILES, create_project

    target = create_project(args.name, Path(args.dir))
    print(f"created {target}/")
    for relative in FILES:
        print(f"  {relative}")
    print(f"next: cd {target} && pip install -r requirements.txt -r requirements-dev.txt && pytest")
    return 0
