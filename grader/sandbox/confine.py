"""What a new worker does to itself before any student code runs: limits, mounts, privileges.

Runs inside the worker process (forked from the zygote, or started cold), so it imports
nothing of the judge. The judge decides the limits and the mounts (`grader.sandbox.isolation`,
`grader.sandbox.workers`); here they are applied: rlimits, the worker's own mount namespace
with fresh /tmp, /var/tmp and /dev/shm, the socket guard where there is no network namespace,
and the switch to an unprivileged uid (`grader.sandbox.privileges`). Everything fails closed:
an OSError here ends the worker before student code runs.
"""
from __future__ import annotations

import functools
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PARK = "/run/grader-keep"  # made by the mount script; each worker parks its own folder here while it remounts


@dataclass(frozen=True)
class WorkerLimits:
    """What one worker may use; enforced with rlimits and from the judge."""

    memory_mb: int = 6144
    file_mb: int = 64
    open_files: int = 512
    output_bytes: int = 64 * 1024


def apply_limits(limits: WorkerLimits) -> bool:
    """Called in the worker before student code: rlimits that TensorFlow tolerates.

    False where the platform has no rlimits (Windows): there only the judge's wall clock holds."""
    try:
        import resource  # POSIX only
    except ImportError:
        return False
    _limit(resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024)
    _limit(resource.RLIMIT_NOFILE, limits.open_files)
    _limit(resource.RLIMIT_CORE, 0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap fails instead of killing
    return True


def _limit(kind: int, value: int) -> None:
    import resource

    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    try:
        resource.setrlimit(kind, (value, value if hard == resource.RLIM_INFINITY else hard))
    except (ValueError, OSError):
        pass


def enter_worker_sandbox(folder: Path, base: Path, *, namespaced: bool, previous: bool = False) -> str:
    """In a new worker, before student code: its own mounts (when `namespaced`), then an unprivileged uid.

    Fails closed: an OSError here ends the worker before any student code runs. Returns how the
    uid was changed (see `grader.sandbox.privileges.become_unprivileged`). `previous` (bench only) keeps
    the shared /tmp and the grader's uid, as before issue 14.
    """
    from grader.sandbox.privileges import become_unprivileged, drop_privileges

    if namespaced:
        _private_mounts(folder, base, fresh_tmp=not previous)
    os.chdir(folder / "home")  # through the new mounts
    if previous:
        drop_privileges()
        return "kept"
    return become_unprivileged(folder / "home")


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MNT_DETACH = 1, 2, 4, 32, 4096, 16384, 2
CLONE_NEWNS = 0x00020000


def _private_mounts(folder: Path, base: Path, *, fresh_tmp: bool = True) -> None:
    """A mount namespace of the worker's own: fresh /tmp, /var/tmp and /dev/shm (freed when its last process
    ends), and a sandbox base showing only its folder, read-only except `home/`."""
    _check(_libc().unshare(CLONE_NEWNS), "unshare")
    park = Path(PARK)  # the folder is parked first: the base may lie under the /tmp about to be replaced
    _mount("tmpfs", str(park), "tmpfs", MS_NOSUID | MS_NODEV, "size=16k,mode=0700")
    (park / "self").mkdir()
    _mount(str(folder), str(park / "self"), None, MS_BIND, None)
    for target, size in (("/tmp", "1g"), ("/var/tmp", "256m"), ("/dev/shm", "1g")) if fresh_tmp else ():
        _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={size}")
    base.mkdir(parents=True, exist_ok=True)  # inside the fresh /tmp when the base lives there
    _mount("tmpfs", str(base), "tmpfs", MS_NOSUID | MS_NODEV, "size=16k,mode=0555")
    folder.mkdir()
    _mount(str(park / "self"), str(folder), None, MS_BIND, None)
    _mount("", str(folder), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    _mount(str(park / "self" / "home"), str(folder / "home"), None, MS_BIND, None)
    _mount("", str(folder / "home"), None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, None)
    _mount("", str(base), None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=16k,mode=0555")
    _check(_libc().umount2(str(park).encode(), MNT_DETACH), f"umount {park}")


@functools.cache
def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    done = _libc().mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                         data.encode() if data else None)
    _check(done, f"mount {target}")


def _check(result: int, what: str) -> None:
    if result != 0:
        import ctypes

        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def guard_sockets() -> None:
    """Fallback network block, installed in the worker before student code runs."""
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("network access is disabled while grading")

    for name in ("connect", "connect_ex", "bind", "sendto"):
        setattr(socket.socket, name, refuse)
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]
