"""Helpers shared by more than one test module; each module says what it holds.

- `frontends`: one adapter per front end (the emulator through a real websockets client,
  the in-memory test client), so a behaviour both share is written once.
- `apps/`: apps those tests run, importable by module name from that folder.
"""
