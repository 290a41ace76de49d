"""What this machine offers the sandbox, asked without importing or calling anything POSIX-only at import.

The Linux implementation of the cage (namespaces, cgroups, a forking zygote, the privilege
drop) needs `os.fork`, uids, `fcntl`, `resource`, `/proc` and libc's `prctl`/`capset`. macOS
has some of these, Windows none; `linux_missing()` names what is missing here, and
`grader.sandbox.backend` falls back to a plain spawned worker when anything is. Every
question is answered by trying, once per process.
"""
from __future__ import annotations

import functools
import importlib
import os
import sys
from pathlib import Path

PROC = Path("/proc")


def euid() -> int | None:
    """The effective uid, or None on a platform without uids (Windows)."""
    get = getattr(os, "geteuid", None)
    return get() if get is not None else None


def is_root() -> bool:
    return euid() == 0


def proc_available() -> bool:
    """Does this process see Linux's /proc (its own entry, as the zygote and the privilege drop read it)?"""
    try:
        return (PROC / "self" / "status").is_file()
    except OSError:
        return False


@functools.cache
def linux_missing() -> tuple[str, ...]:
    """What of the Linux cage this machine lacks, in words; empty when all of it is here."""
    missing = [] if sys.platform.startswith("linux") else [f"a Linux kernel (this is {sys.platform})"]
    missing += [f"os.{name}" for name in ("fork", "geteuid", "setsid", "killpg") if not hasattr(os, name)]
    for module in ("fcntl", "resource"):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if not proc_available():
        missing.append("/proc")
    missing += [f"{name}()" for name in ("prctl", "capset") if not _libc_has(name)]
    return tuple(missing)


def _libc_has(name: str) -> bool:
    try:
        import ctypes

        getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError, TypeError, ImportError):
        return False
    return True
