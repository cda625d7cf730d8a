"""The errors every app meets, apart from the rest of `runtime.exceptions` (cold-start time).

`runtime.exceptions` draws the whole tree and re-exports these: import them from there or
from `runtime`. Their `__module__` is this module, where their source is (`inspect`, a
traceback's `runtime.common_errors.ClientError`); pickles naming `runtime.exceptions` still
load, since it re-exports them.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn


class WebsocketError(Exception):
    """Root of every error the runtime raises."""


class WebsocketDisconnectedError(WebsocketError):
    """The client is gone: API Gateway answered 410 for this connection."""

    def __init__(self, connection_id: str, reason: str | None = None) -> None:
        super().__init__(connection_id)
        self.connection_id = connection_id
        self.reason = reason
        """The 410's own message, when it has one (`wsgen local` and `wsgen.testing` say
        why: a send inside `$connect`, for example)."""

    def __str__(self) -> str:
        gone = f"connection {self.connection_id}"
        if not self.reason:
            return f"{gone} is gone"
        return self.reason if self.reason.startswith(gone) else f"{gone} is gone: {self.reason}"


class ClientError(WebsocketError):
    """Raise in a handler to refuse a message with an error the client sees.

    The entry point catches it: on a message route the client gets the JSON frame
    `{"error": {"code": ..., "message": ..., "route": ..., "requestId": ...}}` (as the reply
    of a two-way route, through `send()` otherwise), and the invocation ends normally, with
    one INFO log line. Raised in `$connect`, it refuses the handshake with `status`.

    Args:
        message: what is wrong, for the client to read.
        code: a stable, machine-readable name for the error.
        status: the HTTP status that refuses the connection when raised in `$connect`.
    """

    default_code = "client_error"

    def __init__(self, message: str, code: str | None = None, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.status = status

    def __str__(self) -> str:
        return self.message


class BadRequestError(ClientError, ValueError):
    """The message is not what the handler needs: raise it with what is wrong.

    `event.json_body` raises it for a body that is not JSON, with Chalice's wording.
    """

    default_code = "bad_request"


class ResultOfAHandler:
    """What an error about a handler's result (`HandlerResultError`) is besides an error:
    the entry point tells it whose result it is (`name_handler`) as it leaves the
    invocation, and its message then names the handler. Here, not in `runtime.exceptions`:
    the entry point looks for it on every failure, and that module is not loaded at cold
    start."""

    result_of: object = None
    """The handler whose result it is about; None until the entry point names it."""

    def name_handler(self, handler: object) -> None:
        """Say whose result it is about, unless said already (by an inner handler)."""
        if self.result_of is None:
            self.result_of = handler


def refuse_uncalled(
    decorator: str,
    first: object,
    arguments: str = "",
    also: str = "",
    unknown: dict[str, Any] | None = None,
) -> None:
    """Refuse `@app.task` written without its parentheses: Python then passes the function
    where the decorator's first argument goes (one `callable()` test, at registration).
    `also` is another way to write it, if there is one. `unknown` is what the decorator's
    `**unknown` caught: a keyword it does not take is refused too (`refuse_unknown`).

    Raises:
        RegistrationError: `first` is a function (or another callable).
        AppArgumentError: `unknown` has a keyword.
    """
    if unknown:
        refuse_unknown(unknown, 2)
    if callable(first):
        from .exceptions import RegistrationError  # only for the mistake: cold-start time

        raise RegistrationError(
            f"@app.{decorator} must be called: write @app.{decorator}({arguments})"
            + (f", or {also}" if also else "")
        )


def refuse_unknown(unknown: dict[str, Any], depth: int = 1) -> NoReturn:
    """Refuse the keywords a method of App (`__init__`, `on_ws_message`, ...; the caller, or
    `depth` frames up) caught in its `**unknown: Never`, naming the closest it takes:
    `@app.on_ws_message(rout=...)`, "did you mean 'route'?". Called only when there are
    some: a right call pays for an empty dict; type checkers refuse such keywords (`Never`).

    Raises:
        AppArgumentError: always (also a TypeError, as Python's own).
    """
    import sys

    from .exceptions import unknown_keyword  # only for the mistake: cold-start time

    raise unknown_keyword(sys._getframe(depth).f_code, unknown)


_VARARGS = 0x04
"""`inspect.CO_VARARGS`: the code object takes `*args` (`inspect` costs cold-start time)."""


EVENT_ONLY = ("event",)
"""What most handlers are called with (`refuse_wrong_signature`'s `called_with`)."""


def refuse_wrong_signature(decorator: str, handler: object, called_with: tuple[str, ...]) -> None:
    """Refuse at registration a handler that cannot be called as the runtime calls it, with
    one positional argument per name of `called_with`: Python would raise its TypeError only
    at the first event. A few attribute reads, no `inspect`: registrations run at cold start.

    Functions, lambdas, bound methods, `functools.partial` objects and instances of classes
    with `__call__` are checked; any other callable (a builtin, a class) is taken as is.

    Raises:
        HandlerSignatureError: `handler` needs more or fewer positional arguments, or a
            keyword-only argument without a default.
    """
    shape = _signature(handler)
    if shape is None:
        return
    code, bound, least, most, keyword_only = shape
    _refuse_async_code(decorator, handler, code)
    count = len(called_with)
    if least <= count and (most is None or count <= most) and not keyword_only:
        return
    from .exceptions import HandlerSignatureError  # only for the mistake: cold-start time

    raise HandlerSignatureError(decorator, handler, code, bound, called_with, keyword_only)


_ASYNC = 0x80 | 0x200
"""`inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR`: an `async def`."""


def refuse_async(decorator: str, handler: object) -> None:
    """Refuse at registration an `async def` handler: Lambda's Python runtime never awaits
    what a handler returns, so its body would never run.

    Raises:
        AsyncHandlerError: `handler` is an `async def` (or a method or partial of one).
    """
    shape = _signature(handler)
    if shape is not None:
        _refuse_async_code(decorator, handler, shape[0])


def _refuse_async_code(decorator: str, handler: object, code: Any) -> None:
    if code.co_flags & _ASYNC:
        from .exceptions import AsyncHandlerError  # only for the mistake: cold-start time

        raise AsyncHandlerError(decorator, handler, code)


def _signature(handler: object) -> tuple[Any, int, int, int | None, tuple[str, ...]] | None:
    """`handler`'s code object, how many of its positional parameters are bound already (a
    method's `self`, a partial's arguments), how many more it needs and at most takes (None:
    `*args`), and its keyword-only parameters without a default; None for a callable whose
    parameters cannot be read cheaply."""
    bound = 0
    keywords: dict[str, object] = {}
    target = handler
    for _ in range(8):  # partials of methods of ...: a few layers at most
        func = getattr(target, "func", None)
        if callable(func) and isinstance(getattr(target, "args", None), tuple):  # a partial
            bound += len(target.args)  # type: ignore[attr-defined]
            keywords.update(getattr(target, "keywords", None) or {})
            target = func
            continue
        inner = getattr(target, "__func__", None)
        if inner is not None and getattr(target, "__self__", None) is not None:  # a method
            bound += 1
            target = inner
            continue
        break
    code = getattr(target, "__code__", None)
    if code is None:
        if isinstance(target, type) or target is not handler:
            return None
        call = type(target).__call__ if callable(target) else None
        code = getattr(call, "__code__", None)
        if code is None:
            return None  # a builtin, a C extension's callable
        target, bound = call, bound + 1
    count = code.co_argcount
    if any(name in keywords for name in code.co_varnames[:count]):
        return None  # a partial's keyword for a positional parameter: leave it to Python
    defaults = len(getattr(target, "__defaults__", None) or ())
    keyword_names = code.co_varnames[count : count + code.co_kwonlyargcount]
    keyword_defaults = getattr(target, "__kwdefaults__", None) or {}
    missing = tuple(n for n in keyword_names if n not in keyword_defaults and n not in keywords)
    least = max(count - defaults - bound, 0)
    most = None if code.co_flags & _VARARGS else count - bound
    return code, bound, least, most, missing
