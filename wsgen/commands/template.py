"""`wsgen template`: not built yet."""

from __future__ import annotations

import argparse

NAME = "template"
HELP = "not built yet"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    print("wsgen template is not built yet")
    return 1
