"""Run the benchmarks: `python -m bench [--smoke] [--write bench/RESULTS.md]`."""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from pathlib import Path

from . import (
    broadcast,
    coldpath,
    coldstart,
    connections,
    dispatch,
    fanout,
    footprint,
    memory,
    template,
    throughput,
)
from .harness import Row, machine, table

BENCHMARKS = {
    "coldstart": coldstart,
    "coldpath": coldpath,
    "dispatch": dispatch,
    "template": template,
    "broadcast": broadcast,
    "fanout": fanout,
    "connections": connections,
    "throughput": throughput,
    "memory": memory,
    "footprint": footprint,
}

NOTES = "## Notes"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="one tiny round of each benchmark")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--write", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    rounds = 1 if args.smoke else 25
    rows: list[Row] = []
    started = time.perf_counter()
    for name, module in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        rows += module.run(rounds) if not args.smoke else _smoke(module)
        print(f"bench: {name} done at {time.perf_counter() - started:.0f} s", file=sys.stderr)
    text = table(rows)
    print(text, end="")
    if args.write:
        notes = _notes(args.write)
        args.write.write_text(
            f"# Benchmark results\n\nMeasured on {machine()}, "
            f"in {time.perf_counter() - started:.0f} s.\n\n{text}{notes}"
        )
    return 0


def _notes(path: Path) -> str:
    """The hand-written explanations under the table (from `## Notes` on), kept across runs."""
    try:
        _, marker, notes = path.read_text().partition(NOTES)
    except OSError:
        return ""
    return f"\n{marker}{notes}" if marker else ""


def _smoke(module: object) -> list[Row]:
    """One round, as small as each benchmark allows: it must run, not measure."""
    run = module.run  # type: ignore[attr-defined]
    accepts = inspect.signature(run).parameters
    if "smoke" in accepts:
        return run(1, smoke=True)  # type: ignore[no-any-return]
    if "number" in accepts:
        return run(1, number=10)  # type: ignore[no-any-return]
    return run(1)  # type: ignore[no-any-return]


if __name__ == "__main__":
    sys.exit(main())
