"""The runtime layer staged once a test session, for the tests that run `wsgen template`.

Staging compacts runtime's modules (a second of ast work) and compiles them with an
interpreter of the target runtime (a subprocess). A test of the template needs neither
afresh: `SharedLayer.stage`, in place of `wsgen.layer.stage_runtime_layer`, copies a layer
staged once a session as source only into the app directory, then stages there as
`wsgen template` does on its second run: staging finds the copy current against its stamp and
keeps it. Staging itself (compaction, bytecode, restoring changed files) is tested by
tests/wsgen/test_layer.py and test_bytecode.py, which stage for real, with `compacted` in
place of `wsgen.compact.compact_source` in test_layer (the compaction is test_compact's).
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from wsgen.compact import compact_source
from wsgen.layer import LAYER_DIR, STAMP, ignore_staging_dir, stage_runtime_layer


@functools.cache
def compacted(source: str, filename: str = "<runtime>") -> str:
    """`compact_source`, worked out once a session for each module."""
    return compact_source(source, filename)


class SharedLayer:
    """A source-only runtime layer staged in `directory`, copied where a test stages one."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        stage_runtime_layer(directory)  # no runtime: no interpreter is looked for or run
        self.stamp = (directory / STAMP).read_bytes()

    def stage(self, app_dir: Path, runtime: str | None = None) -> Path:
        """Stage the source-only layer in `app_dir` (`runtime` only chose the bytecode)."""
        try:
            current = (app_dir / STAMP).read_bytes() == self.stamp
        except OSError:
            current = False
        if not current:
            try:
                shutil.rmtree(app_dir / LAYER_DIR, ignore_errors=True)
                ignore_staging_dir(app_dir)
                shutil.copytree(self.directory / LAYER_DIR, app_dir / LAYER_DIR)
                shutil.copyfile(self.directory / STAMP, app_dir / STAMP)
            except OSError:
                pass  # staging below meets the same problem and says so, as wsgen template does
        return stage_runtime_layer(app_dir)
