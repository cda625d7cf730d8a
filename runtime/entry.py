"""The Lambda handler of every function serving an event handler: `runtime.entry.handler`.

Lambda imports this module once per process (its init phase). It imports the app named by
`WSGEN_APP` (`module.attribute`, as in a Lambda handler) and takes the event handler named
by `WSGEN_FUNCTION`, so each invocation is one call; the template sets both variables.
"""

from __future__ import annotations

import os

from .contract import APP_ENV, FUNCTION_ENV
from .functions import load

handler = load(os.environ.get(APP_ENV, "app.app"), os.environ.get(FUNCTION_ENV, ""))
