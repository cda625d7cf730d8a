"""The repository's folders, defined once."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
EVENTS = TESTS / "events"
GOLDEN = TESTS / "golden"
SAMPLES = ROOT / "samples"
LOCAL_APPS = TESTS / "local" / "apps"
"""The emulator's test apps (`recorder`, `guarded`, ...), imported by `wsgen local`."""

SAMPLE_NAMES = sorted(path.name for path in SAMPLES.iterdir() if (path / "app.py").is_file())
