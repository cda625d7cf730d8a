"""checkov, the IaC security scanner, on the golden, features and 300-route templates.

checkov lives in its own virtual environment (`make checkov`, which `make test` runs first).
It runs offline (`--skip-download`) with the project's `.checkov.yaml`, whose skipped checks
must each carry a reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.wsgen.features import features_template
from tests.wsgen.support import GOLDEN, SAMPLE_NAMES, Result, quota_template

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CONFIG = ROOT / ".checkov.yaml"


def _checkov() -> Path:
    if not CHECKOV.exists():
        install = subprocess.run(
            ["make", "--no-print-directory", "checkov"], cwd=ROOT, capture_output=True, text=True
        )
        if install.returncode != 0 or not CHECKOV.exists():
            pytest.fail(f"could not install checkov (make checkov): {install.stderr[-2000:]}")
    return CHECKOV


def _scan(directory: Path) -> list[dict[str, Any]]:
    run = subprocess.run(
        [
            str(_checkov()),
            "--directory",
            str(directory),
            "--framework",
            "cloudformation",
            "--config-file",
            str(CONFIG),
            "--skip-download",
            "--output",
            "json",
            "--compact",
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LOG_LEVEL": "ERROR", "BC_SKIP_MAPPING": "TRUE"},
        timeout=300,
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]
    report = json.loads(run.stdout)
    reports: list[dict[str, Any]] = report if isinstance(report, list) else [report]
    return reports


def test_checkov_finds_nothing_in_any_template(
    wsgen: Callable[..., Result], tmp_path: Path
) -> None:
    directory = tmp_path / "scan"
    directory.mkdir()
    for name in [*SAMPLE_NAMES, "sources"]:  # sources: every kind of event handler
        shutil.copy(GOLDEN / f"{name}.yaml", directory / f"{name}.yaml")
    text, _ = features_template(wsgen, tmp_path / "features")
    (directory / "features.yaml").write_text(text)
    text, _ = quota_template(wsgen, tmp_path / "routes300")
    (directory / "routes300.yaml").write_text(text)
    reports = _scan(directory)
    failed = [
        f"{check['check_id']} {check['file_path']} {check['resource']}: {check['check_name']}"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert failed == [], "checkov failed checks:\n" + "\n".join(failed)
    files = {
        check["file_path"].lstrip("/")
        for report in reports
        for kind in ("passed_checks", "skipped_checks")
        for check in report["results"][kind]
    }
    assert files == {f"{name}.yaml" for name in [*SAMPLE_NAMES, "sources", "features", "routes300"]}
    assert all(report["summary"]["parsing_errors"] == 0 for report in reports)


def test_every_skipped_check_carries_a_reason() -> None:
    lines = CONFIG.read_text().splitlines()
    start = lines.index("skip-check:")
    ids = []
    for number, line in enumerate(lines[start + 1 :], start + 1):
        match = re.fullmatch(r"  - (CKV\w+)", line)
        if match is None:
            continue
        ids.append(match.group(1))
        reason = []
        for above in reversed(lines[start + 1 : number]):
            if not above.strip().startswith("#"):
                break
            reason.append(above)
        assert len(" ".join(reason)) > 80, f"{match.group(1)} has no reason above it"
    assert ids, "no skipped check found"
    assert len(ids) == len(set(ids))
