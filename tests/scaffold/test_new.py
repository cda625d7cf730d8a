"""`wsgen new`: the project it writes works (its tests pass, `wsgen template` accepts it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.paths import ROOT
from wsgen import __version__
from wsgen.cli import main
from wsgen.scaffold import FILES, wsgen_requirement


@pytest.fixture
def project(tmp_path, capsys):
    assert main(["new", "demo", "--dir", str(tmp_path)]) == 0
    capsys.readouterr()
    return tmp_path / "demo"


def test_writes_every_file_with_the_name(tmp_path, capsys):
    assert main(["new", "my-chat", "--dir", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    target = tmp_path / "my-chat"
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == (
        sorted(FILES)
    )
    assert 'App(app_name="my-chat")' in (target / "app.py").read_text()
    assert "{{" not in "".join(p.read_text() for p in target.rglob("*") if p.is_file())
    assert f"created {target}/" in out and "tests/test_app.py" in out
    assert err == ""
    assert [p.name for p in tmp_path.iterdir()] == ["my-chat"]  # no staging directory left


def test_readme_has_the_commands(project):
    readme = (project / "README.md").read_text()
    for command in (
        "wsgen template > template.yaml",
        "sam build && sam deploy --guided",
        "wsgen local",
        "pytest",
        "pip install -r requirements.txt -r requirements-dev.txt",
        "wsgen template --lint -o template.yaml",
    ):
        assert command in readme


@pytest.mark.external  # a whole pytest run in a subprocess
def test_the_projects_own_tests_pass(project):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    # -P: don't put the current directory on sys.path, as a bare `pytest` would not.
    result = subprocess.run(
        [sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


@pytest.mark.slow  # cfn-lint: seconds of CPU per template
def test_wsgen_template_accepts_the_project(project, capsys):
    from cfnlint.api import lint_file

    for stage, memory in (("api", 128), ("prod", 256)):
        output = project / f"{stage}.json"
        args = ["template", "--app-dir", str(project), "--stage", stage, "--format", "json"]
        args += ["-o", str(output)]
        assert main(args) == 0, capsys.readouterr().err
        resources = json.loads(output.read_text())["Resources"]
        by_type: dict[str, list[dict]] = {}
        for resource in resources.values():
            by_type.setdefault(resource["Type"], []).append(resource.get("Properties", {}))
        routes = {r["RouteKey"] for r in by_type["AWS::ApiGatewayV2::Route"]}
        assert routes == {"$connect", "$default", "$disconnect", "ping"}
        assert len(by_type["AWS::ApiGatewayV2::RouteResponse"]) == 1  # ping is two-way
        functions = by_type.get("AWS::Serverless::Function") or by_type["AWS::Lambda::Function"]
        assert [f["MemorySize"] for f in functions] == [memory]
        assert [str(m) for m in lint_file(output)] == []


@pytest.mark.parametrize("name", ["", "1st", "a/b", "..", "-x", "a b", "x" * 65])
def test_refuses_invalid_names(tmp_path, capsys, name):
    assert main(["new", "--dir", str(tmp_path), "--", name]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: invalid project name") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("existing", ["directory", "file"])
def test_refuses_to_overwrite(tmp_path, capsys, existing):
    target = tmp_path / "demo"
    if existing == "directory":
        target.mkdir()
        (target / "app.py").write_text("mine")
    else:
        target.write_text("mine")
    assert main(["new", "demo", "--dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"error: {target} already exists; choose another name or remove it\n"
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]
    assert (target / "app.py" if existing == "directory" else target).read_text() == "mine"


def test_refuses_missing_parent(tmp_path, capsys):
    assert main(["new", "demo", "--dir", str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().err.startswith("error: --dir ")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("direct_url", "line"),
    [
        (None, f"wsgen[lint]=={__version__}"),  # from an index: pip records no URL
        (
            {"url": "https://github.com/o/wsgen", "vcs_info": {"vcs": "git", "commit_id": "c0"}},
            "wsgen[lint] @ git+https://github.com/o/wsgen@c0",
        ),
        (
            {"url": "https://example.com/wsgen-0.1.0.tar.gz", "archive_info": {}},
            "wsgen[lint] @ https://example.com/wsgen-0.1.0.tar.gz",
        ),
        (
            {"url": "file:///src/wsgen", "dir_info": {"editable": True}},
            "wsgen[lint] @ file:///src/wsgen",
        ),
    ],
)
def test_the_wsgen_requirement_installs_from_where_wsgen_came_from(direct_url, line):
    assert wsgen_requirement(direct_url or {}).splitlines()[-1] == line
