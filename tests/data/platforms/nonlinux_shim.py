"""Make this Linux interpreter lack what macOS or Windows lack, for the grader's platform tests.

Run at interpreter start by a `.pth` file in a throwaway venv (`tests/test_platforms.py`), so
it reaches every process the grader starts from `sys.executable`, `python -I` workers too.

- "macos" and "windows": no `prctl`/`capset` (or `unshare`, `mount`) in libc through ctypes, and no `/proc` for
  Python code: opening, listing or stat-ing anything under it fails as on a Mac. TensorFlow's
  own C++ still sees it (on Linux it needs /proc/self/exe to run an op; on macOS and Windows
  it asks the system instead), so the kernel's /proc stays mounted.
- "windows" also: no `fcntl`, `resource`, `pwd`, `grp`, `termios` modules, and no `os.fork`,
  `os.forkpty`, `os.geteuid`, `os.setsid`, `os.killpg` (`os.getuid` stays: libraries that see
  `sys.platform == "linux"` import it, where on Windows they would take their Windows path).
- "broken-worker": only in `python -I` processes (the grader's cold workers; the judge is not
  one), no `prctl`/`capset`: the judge picks the Linux cage and its worker's privilege drop
  fails before any student code runs, as it did on macOS before the plain worker existed.
"""
from __future__ import annotations

import builtins
import ctypes
import functools
import io
import os
import sys

LIBC_MISSING = ("prctl", "capset", "unshare", "mount", "umount2")
POSIX_MODULES = ("fcntl", "resource", "pwd", "grp", "termios")
POSIX_CALLS = ("fork", "forkpty", "geteuid", "setsid", "killpg")


def install(kind: str) -> None:
    if kind == "broken-worker":
        if sys.flags.isolated:
            _hide_libc_calls()
        return
    _hide_libc_calls()
    _hide_proc()
    if kind == "windows":
        for name in POSIX_MODULES:
            sys.modules[name] = None  # type: ignore[assignment]  # `import fcntl` raises ImportError
        for name in POSIX_CALLS:
            if hasattr(os, name):
                delattr(os, name)


def _hide_libc_calls() -> None:
    original = ctypes.CDLL.__getitem__

    def lookup(self: ctypes.CDLL, name: str) -> object:
        if name in LIBC_MISSING:
            raise AttributeError(f"dlsym(RTLD_DEFAULT, {name}): symbol not found")
        return original(self, name)

    ctypes.CDLL.__getitem__ = lookup  # type: ignore[method-assign]


def _under_proc(path: object) -> bool:
    if isinstance(path, int):
        return False
    try:
        text = os.fsdecode(path)  # type: ignore[arg-type]
    except TypeError:
        return False
    return text == "/proc" or text.startswith("/proc/")


def _refusing(call):  # type: ignore[no-untyped-def]
    @functools.wraps(call)
    def hidden(*args, **kwargs):  # type: ignore[no-untyped-def]
        path = args[0] if args else kwargs.get("path", kwargs.get("file", "."))
        if _under_proc(path):
            raise FileNotFoundError(2, "No such file or directory", os.fsdecode(path))
        return call(*args, **kwargs)

    return hidden


def _hide_proc() -> None:
    for name in ("open", "stat", "lstat", "listdir", "scandir", "readlink", "access"):
        setattr(os, name, _refusing(getattr(os, name)))
    builtins.open = io.open = _refusing(io.open)
