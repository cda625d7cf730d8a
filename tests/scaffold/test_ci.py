"""The GitHub Actions workflow `wsgen new` writes: its commands, run on a fresh project.

The steps GitHub provides (checkout, setup-python) are the workflow's `uses:`; every `run:`
step runs here in order, with this project's virtual environment as the Python it set up.
pip runs with no index: the install step is satisfied by what that environment holds
(wsgen[lint] at this version, pytest), so nothing is downloaded and nothing changes. This
wsgen is an editable checkout, so the project's requirement names its directory; offline,
pip cannot build it from there (its build backend comes from an index), so that run pins
the version the environment holds instead; `test_the_wsgen_requirement_resolves_here`
checks the line itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest
import yaml
from packaging.requirements import Requirement

from tests.support.paths import ROOT
from wsgen import __version__
from wsgen.cli import main
from wsgen.scaffold import wsgen_requirement
from wsgen.settings import RUNTIMES

WORKFLOW = ".github/workflows/ci.yml"


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["new", "demo", "--dir", str(tmp_path)]) == 0
    capsys.readouterr()
    return tmp_path / "demo"


def steps(project: Path) -> list[dict[str, Any]]:
    workflow = yaml.safe_load((project / WORKFLOW).read_text())
    # YAML 1.1 reads the key `on` as True; GitHub reads it as "on".
    assert workflow[True] == {"push": None, "pull_request": None}
    assert workflow["permissions"] == {"contents": "read"}
    [job] = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    found: list[dict[str, Any]] = job["steps"]
    return found


def test_the_workflow_sets_up_this_python_and_runs_tests_then_the_linted_template(
    project: Path,
) -> None:
    found = steps(project)
    uses = [step["uses"] for step in found if "uses" in step]
    assert uses == ["actions/checkout@v4", "actions/setup-python@v5"]
    python = found[1]["with"]["python-version"]
    assert python == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f"python{python}" in RUNTIMES
    assert [step["run"] for step in found if "run" in step] == [
        "python -m pip install -r requirements.txt -r requirements-dev.txt",
        "pytest",
        "wsgen template --lint -o template.yaml",
    ]
    requirements = (project / "requirements-dev.txt").read_text().splitlines()
    assert wsgen_requirement().splitlines()[-1] in requirements and "pytest" in requirements


def test_the_wsgen_requirement_resolves_here(project: Path) -> None:
    """The line names wsgen with its lint extra, where this wsgen was installed from: this
    checkout (tests run on an editable install), a directory pip can install wsgen from."""
    lines = (project / "requirements-dev.txt").read_text().splitlines()
    [line] = [line for line in lines if line.startswith("wsgen")]
    requirement = Requirement(line)
    assert (requirement.name, requirement.extras) == ("wsgen", {"lint"})
    assert requirement.url is not None and requirement.url.startswith("file://")
    directory = Path(url2pathname(urlsplit(requirement.url).path))
    assert directory == ROOT
    project_table = tomllib.loads((directory / "pyproject.toml").read_text())["project"]
    assert project_table["name"] == "wsgen" and "lint" in project_table["optional-dependencies"]


@pytest.mark.external  # the workflow's pip install, pytest and wsgen in subprocesses
def test_the_workflows_commands_pass_on_a_fresh_project(project: Path) -> None:
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
        "HOME": str(project.parent),
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    dev = project / "requirements-dev.txt"
    pinned = [f"wsgen[lint]=={__version__}" if line.startswith("wsgen") else line
              for line in dev.read_text().splitlines()]  # fmt: skip
    dev.write_text("\n".join(pinned) + "\n")  # offline: see the module's docstring
    outputs = []
    for step in steps(project):
        if "run" not in step:
            continue
        run = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, f"{step['name']}: {run.stdout}{run.stderr}"
        outputs.append(run.stdout + run.stderr)
    install, tests, template = outputs
    assert "wsgen[lint]" in install and "already satisfied" in install
    assert "3 passed" in tests
    # Nothing but the note whether the runtime layer ships bytecode and, in some year, the
    # warning about a default runtime near its deprecation.
    lines = template.splitlines()
    assert sum(line.startswith("note: the runtime layer ships ") for line in lines) == 1
    assert all(
        line.startswith(("note: the runtime layer ships ", "warning: the runtime defaults"))
        for line in lines
    )
    assert "WebsocketHandler" in (project / "template.yaml").read_text()


@pytest.mark.slow  # wsgen template --lint in a subprocess
def test_the_template_step_fails_on_a_lint_finding(project: Path) -> None:
    (project / "extra.yaml").write_text(
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      Nam: x\n"
    )
    settings = project / "wsgen.toml"
    settings.write_text('merge_template = "extra.yaml"\n' + settings.read_text())
    [command] = [s["run"] for s in steps(project) if s.get("name") == "Template"]
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin"}
    run = subprocess.run(
        ["bash", "-e", "-c", command], cwd=project, env=env, capture_output=True, text=True
    )
    assert run.returncode == 1
    assert "E3002" in run.stderr
    assert not (project / "template.yaml").exists()
