"""Template generation: `wsgen template` vs `chalice package`, then wsgen with 10-300 routes."""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from .harness import APPS, ROOT, Row, alternate, ms, wall_time

ROUTE_COUNTS = (10, 100, 300)


def chalice_project(where: Path) -> Path:
    """The Chalice echo app as a project `chalice package` accepts (config, no credentials)."""
    project = where / "chalice_echo"
    shutil.copytree(APPS / "chalice_echo", project, ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".chalice").mkdir()
    (project / ".chalice" / "config.json").write_text(
        '{"version": "2.0", "app_name": "echo", "stages": {"dev": {}}}'
    )
    return project


def routes_app(where: Path, count: int) -> Path:
    """An app with `count` custom routes (and $connect), written into `where`."""
    project = where / f"routes{count}"
    project.mkdir()
    lines = [
        "from runtime import App",
        "",
        f'app = App(app_name="routes{count}")',
        'app.experimental_feature_flags.update(["WEBSOCKETS"])',
        "",
        "",
        "@app.on_ws_connect()",
        "def connect(event):",
        "    return None",
    ]
    for i in range(count - 1):
        lines += [
            "",
            "",
            f'@app.on_ws_message(route="r{i}")',
            f"def r{i}(event):",
            "    return None",
        ]
    (project / "app.py").write_text("\n".join(lines) + "\n")
    return project


def _fit(xs: tuple[int, ...], ys: list[float]) -> tuple[float, float]:
    """Least-squares slope and R² of ys over xs."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    residual = sum((y - my - slope * (x - mx)) ** 2 for x, y in zip(xs, ys, strict=True))
    total = sum((y - my) ** 2 for y in ys)
    return slope, 1 - residual / total if total else 1.0


SUPER_LINEAR_MARGIN = 0.5
"""How far above the line through the first two counts the last may be: half the growth
that line predicts for it (n log n passes, n² does not) ..."""
NOISE_MULTIPLE = 4
"""... or this many times the spread between rounds, whichever is more: the line through
t1 and t2 carries their wobble about 3x further out to the last count, plus its own. A
fixed cost, however large, widens neither allowance."""


def spread(samples: dict[int, list[float]]) -> float:
    """The widest median absolute deviation of one count's rounds (seconds): the wobble of
    a time between rounds, which a bigger fixed cost does not make bigger by itself."""
    deviations = []
    for values in samples.values():
        middle = statistics.median(values)
        deviations.append(statistics.median(abs(value - middle) for value in values))
    return max(deviations)


def super_linear(scaled: dict[int, float], noise: float) -> tuple[float, float]:
    """How far the largest count's time lies above the line through the first two counts'
    (seconds; negative when below, as a fixed cost and a small per-route cost give), and
    how far it may, given the rounds' `noise` (`spread`): more is super-linear growth, such
    as a quadratic's."""
    (n1, t1), (n2, t2), (n3, t3) = scaled.items()
    predicted = t1 + (t2 - t1) * (n3 - n1) / (n2 - n1)
    allowed = max(SUPER_LINEAR_MARGIN * (predicted - t1), NOISE_MULTIPLE * noise)
    return t3 - predicted, allowed


def run(rounds: int) -> list[Row]:
    # Both sides run from bytecode, as pip installs leave them (this tree never writes it).
    for folder in (ROOT / "wsgen", ROOT / "runtime"):
        compileall.compile_dir(str(folder), quiet=1)
    wsgen = str(Path(sys.executable).with_name("wsgen"))
    chalice = str(Path(sys.executable).with_name("chalice"))
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        echo = where / "echo"
        shutil.copytree(ROOT / "samples" / "echo", echo, ignore=shutil.ignore_patterns(".wsgen"))
        project = chalice_project(where)
        # One untimed run each: the first run stages the runtime layer; later ones reuse it.
        first = wall_time([wsgen, "template", "-o", "template.yaml"], cwd=echo)
        wall_time([chalice, "package", str(where / "out")], cwd=project, env=env)
        medians = alternate(
            {
                "wsgen": lambda: wall_time([wsgen, "template", "-o", "template.yaml"], cwd=echo),
                "chalice": lambda: wall_time(
                    [chalice, "package", str(where / "out")], cwd=project, env=env
                ),
            },
            rounds,
        )
        apps = {n: routes_app(where, n) for n in ROUTE_COUNTS}
        for app in apps.values():
            wall_time([wsgen, "template", "-o", "template.yaml"], cwd=app)
        samples: dict[int, list[float]] = {n: [] for n in apps}

        def timed(n: int) -> float:
            took = wall_time([wsgen, "template", "-o", "template.yaml"], cwd=apps[n])
            samples[n].append(took)
            return took

        scaled = alternate(
            {n: lambda n=n: timed(n) for n in apps},
            min(rounds, 10),  # each round runs all three: about 1 s
        )
    ratio = medians["wsgen"] / medians["chalice"]
    counts = tuple(scaled)
    (n1, _), (n2, _), (n3, t3) = scaled.items()
    slope, r2 = _fit(counts, list(scaled.values()))
    noise = spread(samples)
    excess, allowed = super_linear(scaled, noise)
    times = " / ".join(ms(t) for t in scaled.values())
    return [
        Row(
            "template generation, echo app",
            f"`wsgen template` {ms(medians['wsgen'])}, `chalice package` "
            f"{ms(medians['chalice'])} (ratio {ratio:.2f}); wsgen's first run in a fresh "
            f"directory (stages the runtime layer) {ms(first)}",
            "≤ 0.3 of Chalice's",
            ratio <= 0.3,
        ),
        Row(
            f"template generation, {'/'.join(map(str, counts))} routes",
            f"{times}; {slope * 1000:.2f} ms per route (least squares, R² {r2:.3f}); "
            f"t{n3} is {excess * 1000:+.1f} ms off the line through t{n1} and t{n2} "
            f"(super-linear above +{allowed * 1000:.1f} ms; rounds spread ±{ms(noise)})",
            "linear growth; 300 routes < 2 s",
            excess <= allowed and t3 < 2,
        ),
    ]
