"""`wsgen local`: a local API Gateway WebSocket API that runs the app's handlers.

`Emulator` is the server (async `start`/`stop`); `running()` runs one on a background
thread. Module map: `http` reads requests, `events` builds Lambda events, `invoker` calls
`app(event, context)` in threads, `gateway` is API Gateway's routing and `$connect` logic,
`connection` drives one WebSocket, `management` serves `@connections`, `server` ties them.
"""

from .background import running
from .log import EventLog
from .server import Emulator, PortInUseError

__all__ = ["Emulator", "EventLog", "PortInUseError", "running"]
