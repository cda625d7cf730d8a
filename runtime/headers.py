"""`Headers`: the upgrade request's HTTP headers, as `event.headers` reads them.

Apart from `runtime.events` so that an app pays for `Mapping` (`_collections_abc`, which an
interpreter started with `-S` has not loaded) only once an event's headers are read.
"""

from __future__ import annotations

# The public face of collections.abc; importing collections.abc itself would load all of
# `collections` (cold-start time).
from _collections_abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


class Headers(Mapping[str, str]):
    """HTTP headers with case-insensitive lookup; iteration keeps the original spelling."""

    def __init__(self, raw: Mapping[str, str] | None) -> None:
        self._raw = raw or {}
        self._folded = {key.lower(): value for key, value in self._raw.items()}

    def __getitem__(self, key: str) -> str:
        return self._folded[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._folded

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"Headers({self._raw!r})"
