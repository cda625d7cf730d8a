"""`wsgen local`: a local API Gateway WebSocket API that runs the app's handlers.

`Emulator` is the server (async `start`/`stop`); `running()` (module `threaded`) runs one
on a thread of its own. Module map: `http` reads requests, `invoker` calls `app(event, context)`
in threads, `driver` runs the authorizer, `$connect`, messages and `$disconnect` through it,
`connection` drives one WebSocket, `management` serves `@connections`, `reload` watches the
app's files, `config` reads what its wsgen.toml sets, `server` ties them.
What API Gateway decides (events, verdicts, routes, frames) comes from `wsgen.gateway`,
shared with the in-memory test client `wsgen.testing`.
"""

from ..exceptions import PortInUseError
from .log import EventLog
from .server import Emulator
from .threaded import running

__all__ = ["Emulator", "EventLog", "PortInUseError", "running"]
