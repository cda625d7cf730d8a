"""The loader's rule for the app's own files, which `--reload` watches too."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from wsgen.loader import AppFiles, load_app
from wsgen.local.reload import snapshot

APP = """\
import helper
import pkg.inner
import nesteddep
import recorddep
import toplevdep
import venvdep
from runtime import App

app = App(app_name="owned")
app.experimental_feature_flags.update(["WEBSOCKETS"])
"""

OWN = ["helper.py", "ownedapp.py", "pkg/__init__.py", "pkg/inner.py"]
INSTALLED = [
    ".venv/lib/python3.11/site-packages/venvdep.py",
    "lib/nesteddep.py",
    "node_modules/tool/build.py",
    "recorddep/__init__.py",
    "toplevdep/__init__.py",
    "vendor/site-packages/other.py",
]
MODULES = [
    "helper",
    "ownedapp",
    "pkg",
    "pkg.inner",
    "venvdep",
    "nesteddep",
    "recorddep",
    "toplevdep",
]


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An app with its own modules beside a .venv, a nested sys.path entry and vendored
    packages: one named by top_level.txt, one only by its RECORD (newer wheel builders)."""
    for name in OWN + INSTALLED:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("MARK = object()\n")
    (tmp_path / "ownedapp.py").write_text(APP)
    toplev = tmp_path / "toplev_dist-1.0.dist-info"
    toplev.mkdir()
    (toplev / "top_level.txt").write_text("toplevdep\n")
    record = tmp_path / "record_dist-2.0.dist-info"
    record.mkdir()
    (record / "RECORD").write_text(
        "recorddep/__init__.py,sha256=x,16\nrecord_dist-2.0.dist-info/RECORD,,\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / ".venv/lib/python3.11/site-packages"))
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    yield tmp_path
    for name in MODULES:
        sys.modules.pop(name, None)


def test_only_the_apps_own_files_count(app_dir: Path):
    own = AppFiles(app_dir)
    assert [str(p.relative_to(app_dir.resolve())) for p in own.python_files()] == OWN
    assert not any(own.contains(app_dir / name) for name in INSTALLED)
    assert not own.contains(app_dir.parent / "elsewhere.py")


def test_reload_watches_exactly_what_the_loader_re_imports(app_dir: Path):
    load_app(app_dir, "ownedapp:app")
    first = {name: sys.modules[name] for name in MODULES}
    load_app(app_dir, "ownedapp:app", fresh=True)
    reimported = {
        str(Path(first[name].__file__).resolve().relative_to(app_dir.resolve()))
        for name in MODULES
        if sys.modules[name] is not first[name]
    }
    watched = {str(Path(p).relative_to(app_dir.resolve())) for p in snapshot(app_dir.resolve())}
    assert reimported == watched == set(OWN)
