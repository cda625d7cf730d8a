"""checkov, the IaC security scanner, as a user runs it: `checkov -f template.yaml`, no config.

checkov lives in its own virtual environment (`make checkov`, which `make test` runs first)
and runs offline (`--skip-download`), in a directory holding only the templates, so no
configuration file of this project or the user's home applies. Every check the template
deliberately does not meet is skipped by the resource's own `Metadata`, with its reason
(wsgen/template/waivers.py), which cfn-guard's rules also read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runtime.contract import FUNCTION_HANDLER
from tests.support.builders import ECHO
from tests.support.golden import GOLDEN_APPS
from tests.support.paths import GOLDEN, ROOT, SAMPLES
from tests.support.templates import Result, features_template, parse, quota_template
from wsgen.merge import load_template
from wsgen.template import waivers

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
OFFLINE = ("--skip-download", "--output", "json", "--compact")


def _checkov() -> Path:
    if not CHECKOV.exists():
        install = subprocess.run(
            ["make", "--no-print-directory", "checkov"], cwd=ROOT, capture_output=True, text=True
        )
        if install.returncode != 0 or not CHECKOV.exists():
            pytest.fail(f"could not install checkov (make checkov): {install.stderr[-2000:]}")
    return CHECKOV


def _scan(directory: Path) -> list[dict[str, Any]]:
    files = sorted(directory.glob("*.yaml"))
    run = subprocess.run(
        [str(_checkov()), *(f"-f={path.name}" for path in files), *OFFLINE],
        cwd=directory,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(directory), "LOG_LEVEL": "ERROR"},
        timeout=300,
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]
    report = json.loads(run.stdout)
    reports: list[dict[str, Any]] = report if isinstance(report, list) else [report]
    return reports


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden templates (sources: every kind of event handler), the every-setting one and a
    300-route one, in one directory."""
    directory = tmp_path_factory.mktemp("scan")
    for name in GOLDEN_APPS:
        shutil.copy(GOLDEN / f"{name}.yaml", directory / f"{name}.yaml")
    return directory


@pytest.mark.external  # checkov, from .venv-checkov
def test_checkov_without_configuration_finds_nothing_in_any_template(
    templates: Path, wsgen: Callable[..., Result], tmp_path: Path
) -> None:
    text, _ = features_template(wsgen, tmp_path / "features")
    (templates / "features.yaml").write_text(text)
    text, _ = quota_template(wsgen, tmp_path / "routes300")
    (templates / "routes300.yaml").write_text(text)
    snap = tmp_path / "snap"  # snap_start: the alias SAM publishes, invoked by API Gateway
    snap.mkdir()
    (snap / "app.py").write_text(  # and the connected step, which invokes its versions
        ECHO + "\n\n@app.on_ws_connected()\ndef greet(event):\n    pass\n"
    )
    (snap / "wsgen.toml").write_text('runtime = "python3.12"\nsnap_start = true\n')
    (templates / "snap_start.yaml").write_text(wsgen("template", "--app-dir", str(snap)).out)
    reports = _scan(templates)
    failed = [
        f"{check['check_id']} {check['file_path']} {check['resource']}: {check['check_name']}"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert failed == [], "checkov failed checks:\n" + "\n".join(failed)
    cloudformation = [r for r in reports if r["check_type"] == "cloudformation"]
    files = {
        check["file_path"].lstrip("/")
        for report in cloudformation
        for kind in ("passed_checks", "skipped_checks")
        for check in report["results"][kind]
    }
    expected = [*GOLDEN_APPS, "features", "routes300", "snap_start"]
    assert files == {f"{name}.yaml" for name in expected}
    assert all(report["summary"]["parsing_errors"] == 0 for report in reports)
    # Each skip is one the template's Metadata asked for, with its reason.
    skipped = [c for r in cloudformation for c in r["results"]["skipped_checks"]]
    reasons = {(w.checkov, w.reason) for w in _waivers()} | _merged_skips()
    comments = {(c["check_id"], c["check_result"]["suppress_comment"]) for c in skipped}
    assert skipped and comments <= reasons


def _merged_skips() -> set[tuple[str, str]]:
    """The skips a sample's own resources (its merged resources.yaml) ask for, with reasons."""
    return {
        (skip["id"], skip["comment"])
        for path in SAMPLES.glob("*/resources.yaml")
        for resource in load_template(path)["Resources"].values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }


def _waivers() -> list[waivers.Waiver]:
    return [
        *waivers.function_waivers(None),
        waivers.POLLED_DEAD_LETTER_QUEUE,
        waivers.ASYNC_DEAD_LETTER_QUEUE,
        waivers.TASK_DEAD_LETTER_QUEUE,
        *waivers.LOG_GROUP_WAIVERS,
        *waivers.QUEUE_WAIVERS,
        *waivers.CONNECTIONS_TABLE_WAIVERS,
    ]


def test_a_reserved_concurrency_is_not_waived(wsgen: Callable[..., Result], tmp_path: Path) -> None:
    # Every function of the every-setting template reserves concurrency but gate.
    _, template = features_template(wsgen, tmp_path)
    skips = {
        name: (
            [skip["id"] for skip in resource["Metadata"]["checkov"]["skip"]],
            resource["Metadata"]["guard"]["SuppressedRules"],
        )
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    for name, (checkov, guard) in skips.items():
        waived = name == "WebsocketGateHandler"
        assert ("CKV_AWS_115" in checkov, "LAMBDA_CONCURRENCY_CHECK" in guard) == (waived, waived)
        assert {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173"} <= set(checkov)
    assert len(skips) == 4


def test_every_waiver_has_a_reason_on_one_rendered_line() -> None:
    assert len({w.reason for w in _waivers()}) == len(_waivers())
    for waiver in _waivers():
        assert 80 < len(waiver.reason) <= waivers.REASON_LENGTH, waiver.checkov
        assert waiver.guard is None or waiver.guard.isupper()
    goldens = ("echo.yaml", "sources.yaml", "chat.yaml")
    text = "".join((GOLDEN / name).read_text() for name in goldens)
    assert all(f"- comment: {w.reason}\n" in text for w in _waivers())


def test_an_event_function_says_why_it_has_no_dead_letter_queue_by_its_source() -> None:
    resources = parse((GOLDEN / "sources.yaml").read_text())["Resources"]
    polled = {"SQS", "DynamoDB"}
    seen = set()
    for resource in resources.values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        events = resource["Properties"].get("Events", {}).values()
        if resource["Properties"]["Handler"] != FUNCTION_HANDLER:  # a route function
            assert not events
            continue
        kinds = {event["Type"] for event in events}
        [reason] = [
            skip["comment"]
            for skip in resource["Metadata"]["checkov"]["skip"]
            if skip["id"] == "CKV_AWS_116"
        ]
        expected = (
            waivers.POLLED_DEAD_LETTER_QUEUE
            if kinds & polled
            else waivers.TASK_DEAD_LETTER_QUEUE
            if "EventInvokeConfig" in resource["Properties"]  # an @app.task()
            else waivers.ASYNC_DEAD_LETTER_QUEUE
        )
        assert reason == expected.reason, kinds
        seen.add(expected)
    assert seen == {
        waivers.POLLED_DEAD_LETTER_QUEUE,
        waivers.ASYNC_DEAD_LETTER_QUEUE,
        waivers.TASK_DEAD_LETTER_QUEUE,
    }
