"""The function's staged code (`.wsgen/function/`): what it imports, and requirements.txt."""

from __future__ import annotations

from pathlib import Path

import pytest

from wsgen.bundle import FUNCTION_DIR, function_files, stage_function
from wsgen.exceptions import ConfigError


def make_app(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def staged(app: Path) -> set[str]:
    target = app / FUNCTION_DIR
    return {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}


SHIPPED = {
    "app.py": "import rooms\n",
    "rooms.py": "",
    "requirements.txt": "requests\n",
    "chalicelib/__init__.py": "",
    "chalicelib/data/names.json": "[]",
    "helpers/util.py": "",  # a namespace package
    "requests/__init__.py": "",  # pip install -t .
    "requests-2.0.dist-info/METADATA": "",
}
LEFT_OUT = {
    "wsgen.toml": "[stages.local.environment]\nTOKEN = 'secret'\n",
    "template.yaml": "",
    "resources.yaml": "",
    "README.md": "",
    "conftest.py": "",
    "test_app.py": "",
    "rooms_test.py": "",
    "tests/__init__.py": "",
    "tests/test_rooms.py": "",
    "test/test_x.py": "",
    "docs/index.md": "",  # no Python in it
    ".venv/lib/x.py": "",
    "env/pyvenv.cfg": "",
    "env/lib/site.py": "",
    "node_modules/x/y.py": "",
    "__pycache__/app.cpython-311.pyc": "",
    "chalicelib/__pycache__/x.pyc": "",
    ".aws-sam/build/app.py": "",
    ".git/hooks/pre.py": "",
}


def test_only_the_apps_code_and_requirements_are_staged(tmp_path: Path) -> None:
    app = make_app(tmp_path, {**SHIPPED, **LEFT_OUT})
    assert sorted(map(str, function_files(app))) == sorted(SHIPPED)
    stage_function(app)
    assert staged(app) == set(SHIPPED)
    assert (app / FUNCTION_DIR / "chalicelib/data/names.json").read_text() == "[]"
    assert (app / ".wsgen/.gitignore").read_text().splitlines()[-1] == "*"


def test_the_staged_copy_follows_the_app(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"app.py": "v1\n", "old.py": "", "pkg/__init__.py": ""})
    stage_function(app)
    (app / "old.py").unlink()
    (app / "pkg/__init__.py").unlink()
    (app / "pkg").rmdir()
    (app / "app.py").write_text("v2, same size? no\n")
    stage_function(app)
    assert staged(app) == {"app.py"}
    assert not (app / FUNCTION_DIR / "pkg").exists()
    assert (app / FUNCTION_DIR / "app.py").read_text() == "v2, same size? no\n"


def test_a_file_edited_in_the_staged_copy_is_restored(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"app.py": "real\n"})
    stage_function(app)
    copy = app / FUNCTION_DIR / "app.py"
    copy.write_text("edited by hand\n")
    stage_function(app)
    assert copy.read_text() == "real\n"


def test_a_staging_dir_that_cannot_be_made_is_a_config_error(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"app.py": "", ".wsgen/function": "a file in the way"})
    with pytest.raises(ConfigError, match="cannot stage the function's code: File exists"):
        stage_function(app)
