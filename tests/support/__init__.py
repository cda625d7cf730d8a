"""What the tests share, importable as `tests.support.<module>`.

- `paths`: the repository's folders (`ROOT`, `EVENTS`, `SAMPLES`, `GOLDEN`, the test apps)
  and the samples' names.
- `events`: the fixture events of tests/events/ and the formats of API Gateway's ids.
- `builders`: test apps built in memory (`new_app()`, an `App` with the WebSocket flag; the
  chat app of the test-client tests) and app.py sources for `wsgen template` runs.
- `apps/`: apps the emulator runs (`paths.APPS`), importable by module name from that folder.
- `frontends`: one adapter per front end (the emulator through a real websockets client,
  the in-memory test client), so a behaviour both share is written once.
- `templates`: running `wsgen` in-process (`Result`), parsing templates, building one from
  settings, the features and 300-route templates.
- `golden`: what `make golden` runs (`python -m tests.support.golden`), the same for the
  Makefile and the golden tests.
- `local`: starting the emulator on a test app, a management client for it, `run`.
- `dynamodb`: moto's DynamoDB server on loopback, and fresh tables on it.
- `probe`: what a fresh interpreter imports after `import runtime`.
- `rawclient`: a WebSocket client on a raw socket, for frames real clients never send.

Fixtures stay in conftest.py files; a test module imports helpers only from here, never
from a conftest or another test module (tests/test_support.py checks).
"""
