"""The repository's folders, defined once."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
README = ROOT / "README.md"
DOCS = ROOT / "docs"
"""The documentation's pages (guide.md, settings.md, ...), which README.md links to."""
PAGES = sorted([README, *DOCS.glob("*.md")])
"""README.md and every page of docs/: what the documentation tests read."""
EVENTS = TESTS / "events"
GOLDEN = TESTS / "golden"
SAMPLES = ROOT / "samples"
APPS = TESTS / "support" / "apps"
"""The apps the emulator runs in tests (`recorder`, `parityapp`, ...), each imported
by its module name from this folder."""

QUEUES_APP = APPS / "queues"
"""The app whose queue handler pushes to clients and whose routes send to its queue."""

LONGTASK_APPS = TESTS / "beyond" / "apps"
"""The folder of the long-running task app (`longtask`) of the background-work tests."""

SOURCES_APP = TESTS / "wsgen" / "apps" / "sources"
"""The app with a handler of every kind of event source; its golden template is sources.yaml."""
ACCESS_APP = TESTS / "wsgen" / "apps" / "access"
"""The app whose `$connect` needs IAM and an API key; its golden template is access.yaml."""

FANOUT_APP = TESTS / "wsgen" / "apps" / "fanout"
"""The app fanning out through shards (`fan_out=True`); its golden template is fanout.yaml."""

SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
"""aws-sam-cli's interpreter (`make sam`): `python -m samcli` runs it whatever the shebang of
the venv's `sam` script names (a copied or moved venv's names where it was made)."""

SAMPLE_NAMES = sorted(path.name for path in SAMPLES.iterdir() if (path / "app.py").is_file())

NOTES_APP = APPS / "notes"
"""An app with tables of its own (a merged resources.yaml) that its handlers use through
boto3: what `wsgen local --dynamodb` and `Client(app, dynamodb=True)` make locally."""
