"""Finds and imports the user's app: `--app-dir DIR --app MODULE:ATTR` (default `app:app`)."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtime import App, WebsocketError
from runtime.spec import AppSpec

from .exceptions import AppLoadError
from .sources.checks import check_functions

DEFAULT_APP = "app:app"

_INSTALLED_DIRS = frozenset({"site-packages", "dist-packages", "node_modules", "__pycache__"})
"""Folders whose files are never the app's own, wherever they are in the app directory."""


def parse_app_ref(ref: str) -> tuple[str, str]:
    """Split `MODULE:ATTR`; a bare `MODULE` means attribute `app`."""
    module, _, attr = ref.partition(":")
    attr = attr or "app"
    if not module or not all(part.isidentifier() for part in module.split(".")):
        raise AppLoadError(f"--app '{ref}' is not MODULE:ATTR; for example --app app:app")
    if not attr.isidentifier():
        raise AppLoadError(f"--app '{ref}': '{attr}' is not a Python name; for example app:app")
    return module, attr


SLOW_IMPORT_S = 3.0
"""After this long, an import still running is reported, with the line it waits on."""


@contextlib.contextmanager
def _notice_if_slow(name: str, directory: Path) -> Iterator[None]:
    """Say on stderr what an import that takes over `SLOW_IMPORT_S` is waiting for (a
    database, a network call, input()...), instead of hanging silently."""
    import threading

    importing = threading.get_ident()
    done = threading.Event()

    def report() -> None:
        if done.wait(SLOW_IMPORT_S):
            return
        frame = sys._current_frames().get(importing)
        where = _waiting_line(frame, directory)
        print(
            f"wsgen: still importing {name}.py after {SLOW_IMPORT_S:g} s; it is waiting {where}"
            " (Ctrl-C stops)",
            file=sys.__stderr__,
            flush=True,
        )

    watcher = threading.Thread(target=report, name="wsgen-import-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()


def _waiting_line(frame: Any, directory: Path) -> str:
    """`in app.py line 3: time.sleep(60)`: the innermost line of the app's own files."""
    import traceback  # for a slow import's report only

    stack = traceback.extract_stack(frame) if frame is not None else []
    own = [f for f in stack if Path(f.filename).resolve().is_relative_to(directory)]
    chosen = own[-1] if own else (stack[-1] if stack else None)
    if chosen is None:
        return "for something outside Python"
    shown = Path(chosen.filename)
    if shown.resolve().is_relative_to(directory):
        shown = shown.resolve().relative_to(directory)
    return f"in {shown} line {chosen.lineno}: {(chosen.line or '').strip()}"


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send stdout to stderr, `sys.stdout` and file descriptor 1 both, so the output of a
    subprocess the app starts at import (which writes to the descriptor) goes there too."""
    sys.stdout.flush()
    try:
        saved: int | None = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no descriptor 1 (or 2) to redirect: sys.stdout is all there is
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            sys.stderr.flush()
            os.dup2(saved, 1)
            os.close(saved)


def locate_app(app_dir: str | Path = ".", ref: str = DEFAULT_APP) -> tuple[Path, str, str, Path]:
    """Where the app is, without importing it: its directory, module and attribute names,
    and the module's path without its suffix (what `wsgen local` checks before it listens).

    Raises:
        AppLoadError: `ref` is malformed, or the directory or module file does not exist.
    """
    directory = Path(app_dir).resolve()
    module_name, attr = parse_app_ref(ref)
    module_file = directory.joinpath(*module_name.split("."))
    if directory.is_file():
        raise AppLoadError(
            f"app directory {app_dir} is a file; pass the directory that holds it, "
            f"--app-dir {Path(app_dir).parent}"
        )
    if not directory.is_dir():
        raise AppLoadError(f"app directory {app_dir} does not exist; pass --app-dir DIR")
    if not module_file.with_suffix(".py").is_file() and not (module_file / "__init__.py").is_file():
        raise AppLoadError(
            f"no {module_file.relative_to(directory)}.py in {app_dir}; "
            "run wsgen in your app's directory or pass --app-dir DIR (and --app MODULE:ATTR)"
        )
    return directory, module_name, attr, module_file


def load_app(app_dir: str | Path = ".", ref: str = DEFAULT_APP, *, fresh: bool = False) -> App:
    """Import the app object from `app_dir`.

    With `fresh`, modules previously imported from `app_dir` are dropped first, so edits
    are picked up (used by `wsgen local --reload`).
    """
    directory, module_name, attr, module_file = locate_app(app_dir, ref)
    if fresh:
        _forget_modules_under(directory)
    _forget_module_from_elsewhere(module_name, directory)
    if str(directory) in sys.path:
        sys.path.remove(str(directory))
    sys.path.insert(0, str(directory))
    try:
        # The app's own prints at import go to stderr: stdout is the template.
        with _stdout_to_stderr(), _notice_if_slow(module_file.name, directory):
            module = importlib.import_module(module_name)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit too: sys.exit() at import is the app's bug
        raise AppLoadError(_import_failure(exc, directory)) from exc
    app = getattr(module, attr, None)
    if app is None:
        apps = [name for name, value in vars(module).items() if isinstance(value, App)]
        if apps:
            raise AppLoadError(
                f"{module_name}.py has no attribute '{attr}', but it has an App named "
                f"'{apps[0]}': pass --app {module_name}:{apps[0]}, or name it {attr}"
            )
        raise AppLoadError(
            f"{module_name}.py has no attribute '{attr}'; create it with app = App(app_name=...) "
            "or pass --app MODULE:ATTR"
        )
    if not isinstance(app, App):
        raise AppLoadError(
            f"{module_name}.{attr} is {_a(type(app).__name__)}, not an App (runtime.App); "
            "create it with: from runtime import App; app = App(app_name='...')"
        )
    return app


class AppFiles:
    """Which files under an app directory are the app's own: the one rule for what
    `load_app(fresh=True)` re-imports and what `wsgen local --reload` watches.

    Not the app's own, though inside its directory: files under a dot-directory (a
    project-local `.venv`), `site-packages`, `dist-packages`, `node_modules` or
    `__pycache__`; files under another `sys.path` entry nested in the directory; and packages
    vendored with `pip install -t .` (named by a `*.dist-info`: its own name, and its
    `top_level.txt` or else the top-level names in its `RECORD`). `sys.path` and the
    `*.dist-info` folders are read when the rule is made.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory).resolve()
        self._nested = [
            Path(entry).resolve()
            for entry in sys.path
            if entry and _inside(entry, self.directory) and Path(entry).resolve() != self.directory
        ]
        self._vendored = _vendored(self.directory)

    def contains(self, file: str | Path) -> bool:
        """Whether `file` is one of the app's own files."""
        path = Path(file).resolve()
        if not path.is_relative_to(self.directory):
            return False
        parts = path.relative_to(self.directory).parts
        return (
            not any(self._installed_folder(part) for part in parts[:-1])
            and not any(path.is_relative_to(entry) for entry in self._nested)
            and parts[0].partition(".")[0] not in self._vendored
        )

    def python_files(self) -> Iterator[Path]:
        """The app's own `.py` files, in a stable order; installed folders are not walked."""
        for folder, subfolders, files in os.walk(self.directory):
            here = Path(folder)
            subfolders[:] = sorted(
                name
                for name in subfolders
                if not self._installed_folder(name)
                and not any((here / name).resolve() == entry for entry in self._nested)
            )
            for name in sorted(files):
                if name.endswith(".py") and self.contains(here / name):
                    yield here / name

    @staticmethod
    def _installed_folder(name: str) -> bool:
        return name.startswith(".") or name in _INSTALLED_DIRS


def _vendored(directory: Path) -> set[str]:
    """Top-level names installed into `directory` by `pip install -t` (its `*.dist-info`)."""
    names: set[str] = set()
    for info in directory.glob("*.dist-info"):
        names.add(info.name.split("-", 1)[0])
        try:
            names.update((info / "top_level.txt").read_text().split())
            continue
        except OSError:
            pass  # wheels built by newer backends have no top_level.txt: read RECORD
        try:
            record = (info / "RECORD").read_text().splitlines()
        except OSError:
            continue
        for line in record:
            first = line.split(",", 1)[0].split("/", 1)[0]
            if first and not first.endswith((".dist-info", ".pth")) and not first.startswith(".."):
                names.add(first.partition(".")[0])
    return names


def load_spec(app_dir: str | Path = ".", ref: str = DEFAULT_APP) -> tuple[App, AppSpec]:
    """The app and its spec, refusing an app without WebSocket handlers or the flag.

    Raises:
        AppLoadError: the app cannot be loaded, or has no WebSocket handlers.
        EventHandlerError: an event handler's arguments would fail at deploy time.
    """
    app = load_app(app_dir, ref)
    try:
        spec = app.spec()
    except WebsocketError as exc:
        raise AppLoadError(str(exc)) from exc
    if not spec.routes:
        raise AppLoadError(
            f"app '{app.app_name}' has no WebSocket handlers; decorate a function with "
            "@app.on_ws_message() (or on_ws_connect / on_ws_disconnect)"
        )
    check_functions(spec)
    return app, spec


def _import_failure(exc: BaseException, directory: Path) -> str:
    """One line naming the user's file and line where the import failed."""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{_shorten(exc.filename, directory)}:{exc.lineno}"
        return f"{where}: the app does not import: SyntaxError: {exc.msg}"
    import traceback  # for a failed import only

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _inside(f.filename, directory)]
    where = f"{_shorten(frames[-1].filename, directory)}:{frames[-1].lineno}: " if frames else ""
    if isinstance(exc, SystemExit):
        code = "" if exc.code is None else repr(exc.code)
        return (
            f"{where}the app does not import: it calls sys.exit({code}); "
            "exit only under if __name__ == '__main__':"
        )
    text = _one_line(str(exc))
    from runtime.exceptions import AppArgumentError, RegistrationError  # a failed import's

    if isinstance(exc, (RegistrationError, AppArgumentError)):  # the runtime's own word
        return text if where and where[:-2] in text else f"{where}{text}"
    message = f"{where}the app does not import: {type(exc).__name__}: {text}"
    return message + _app_attribute_hint(exc)


def _app_attribute_hint(exc: BaseException) -> str:
    """ "; did you mean on_ws_message?" for a name an App lacks (`@app.on_ws_mesage()`).

    Here rather than as `App.__getattr__`: a class with `__getattr__` loses the interpreter's
    fast attribute reads on every instance: about a fifth of the runtime's dispatch of an
    event."""
    obj, name = getattr(exc, "obj", None), getattr(exc, "name", None)
    if not isinstance(exc, AttributeError) or not isinstance(obj, App) or not name:
        return ""
    import difflib  # for a failed import only

    public = [n for n in dir(type(obj)) if not n.startswith("_")]
    close = difflib.get_close_matches(name, public, n=1)
    return f"; did you mean {close[0]}?" if close else ""


def _one_line(message: str) -> str:
    """A multi-line exception message on one line: the error is one line."""
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def _inside(filename: str, directory: Path) -> bool:
    try:
        Path(filename).resolve().relative_to(directory)
    except ValueError:
        return False
    return True


def _shorten(filename: str, directory: Path) -> str:
    path = Path(filename).resolve()
    return str(path.relative_to(directory)) if _inside(filename, directory) else filename


def _forget_modules_under(directory: Path) -> None:
    """Drop the app's own modules (`AppFiles`), so that re-importing picks up edits.

    Modules installed inside the app directory stay: re-importing those would give a second
    `runtime`, and `isinstance(app, App)` would fail.
    """
    own = AppFiles(directory)
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and own.contains(file):
            del sys.modules[name]


def _forget_module_from_elsewhere(name: str, directory: Path) -> None:
    """Drop a cached `name` imported from another directory (another app, same module name)."""
    top = name.partition(".")[0]
    module = sys.modules.get(top)
    file = getattr(module, "__file__", None)
    if module is not None and not (file and _inside(file, directory)):
        for cached in [n for n in sys.modules if n == top or n.startswith(f"{top}.")]:
            del sys.modules[cached]


def _a(noun: str) -> str:
    """`noun` with its indefinite article: "an int", "a str"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
