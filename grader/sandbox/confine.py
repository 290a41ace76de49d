"""What a new worker does to itself before any student code runs: limits, mounts, privileges.

Runs inside the worker process (forked from the zygote, or started cold), so it imports
nothing of the judge. The judge decides the limits and the mounts (`grader.sandbox.isolation`,
`grader.sandbox.workers`); here they are applied: rlimits, the worker's own mount and IPC
namespaces with fresh /tmp, /var/tmp and /dev/shm, the socket guard where there is no network
namespace, the switch to an unprivileged uid (`grader.sandbox.privileges`) and last the
seccomp filter (`grader.sandbox.seccomp`). The zygote also caps each submission's home here
(`prepare_home`) where the judge cannot. Everything fails closed: an OSError here ends the
worker before student code runs.
"""
from __future__ import annotations

import functools
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PARK = "/run/grader-keep"  # made by the root's builder; each worker parks its own folder here while it remounts


@dataclass(frozen=True)
class WorkerLimits:
    """What one worker may use; enforced with rlimits and from the judge."""

    memory_mb: int = 6144
    file_mb: int = 64
    disk_mb: int = 512  # all of a submission's home folder, a size-limited tmpfs (grader.sandbox.disk)
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


@dataclass(frozen=True)
class WorkerSandbox:
    """What a new worker does to itself, as the judge decided (`grader.sandbox.isolation.worker_sandbox`)."""

    namespaced: bool  # its own mount and IPC namespaces, fresh /tmp, /var/tmp, /dev/shm
    keep: tuple[str, ...] = ()  # read-only paths under those it must see again (a virtual environment in /tmp)
    seccomp: bool = False  # install the worker's seccomp filter last (`grader.sandbox.seccomp`)
    ipc: bool = True  # an IPC namespace of its own (not in the bench's modes of before issue 24)
    previous: bool = False  # bench only: the shared /tmp and the grader's uid, as before issue 14


def sandbox_from_json(text: str) -> WorkerSandbox:
    """The judge's `WorkerSandbox`, as sent to a cold worker on its command line or to the zygote."""
    import json

    fields = json.loads(text)
    return WorkerSandbox(**{**fields, "keep": tuple(fields.get("keep", ()))})


def enter_worker_sandbox(folder: Path, base: Path, sandbox: WorkerSandbox) -> str:
    """In a new worker, before student code: its own mounts and IPC namespace, an unprivileged uid, the filter.

    Fails closed: an OSError here ends the worker before any student code runs. Returns how the
    uid was changed (see `grader.sandbox.privileges.become_unprivileged`).
    """
    from grader.sandbox.privileges import become_unprivileged, drop_privileges

    if sandbox.namespaced:
        _private_mounts(folder, base, fresh_tmp=not sandbox.previous, keep=sandbox.keep, ipc=sandbox.ipc)
    elif sandbox.ipc and os.geteuid() == 0:  # no mount namespaces here, but root may still part its SysV
        _libc().unshare(CLONE_NEWIPC)  # objects and POSIX queues from the host's (best effort)
    os.chdir(folder / "home")  # through the new mounts
    if sandbox.previous:
        drop_privileges()
        return "kept"
    how = become_unprivileged(folder / "home")
    if sandbox.seccomp:
        from grader.sandbox.seccomp import install

        install("worker")
    return how


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MNT_DETACH = 1, 2, 4, 32, 4096, 16384, 2
CLONE_NEWNS, CLONE_NEWIPC = 0x00020000, 0x08000000
FRESH = (("/tmp", "1g"), ("/var/tmp", "256m"), ("/dev/shm", "1g"))  # each worker's own, freed with it
PROC_READONLY = ("bus", "fs", "irq", "sys")  # runc's read-only /proc paths
ST_RDONLY = 1
KEPT_FLAGS = 2 | 4 | 8 | 1024 | 2048 | 4096  # nosuid, nodev, noexec, the atime flags (ST_* = MS_*)


def _private_mounts(folder: Path, base: Path, *, fresh_tmp: bool = True, keep: tuple[str, ...] = (),
                    ipc: bool = True) -> None:
    """Mount and IPC namespaces of the worker's own: fresh /tmp, /var/tmp and /dev/shm (freed when its last
    process ends, like its SysV objects and POSIX queues), and a sandbox base showing only its folder,
    read-only except `home/` (with whatever is mounted there: its size-limited tmpfs)."""
    _check(_libc().unshare(CLONE_NEWNS | (CLONE_NEWIPC if ipc else 0)), "unshare")
    park = Path(PARK)  # the folder is parked first: the base may lie under the /tmp about to be replaced
    _mount("tmpfs", str(park), "tmpfs", MS_NOSUID | MS_NODEV, "size=16k,mode=0700")
    (park / "self").mkdir()
    _mount(str(folder), str(park / "self"), None, MS_BIND | MS_REC, None)
    kept = _park(park, [path for path in keep if fresh_tmp])
    for target, size in FRESH if fresh_tmp else ():
        _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={size}")
    _unpark(kept)
    base.mkdir(parents=True, exist_ok=True)  # inside the fresh /tmp when the base lives there
    _mount("tmpfs", str(base), "tmpfs", MS_NOSUID | MS_NODEV, "size=16k,mode=0555")
    folder.mkdir()
    _mount(str(park / "self"), str(folder), None, MS_BIND | MS_REC, None)
    _mount("", str(folder), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    _mount(str(park / "self" / "home"), str(folder / "home"), None, MS_BIND | MS_REC, None)
    _mount("", str(folder / "home"), None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, None)
    _mount("", str(base), None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=16k,mode=0555")
    _check(_libc().umount2(str(park).encode(), MNT_DETACH), f"umount {park}")
    _readonly_proc()


def _park(park: Path, keep: list[str]) -> list[tuple[Path, str]]:
    """Bind each kept path aside before its fresh /tmp hides it."""
    kept = []
    for index, path in enumerate(keep):
        aside = park / f"keep-{index}"
        aside.mkdir()
        _mount(path, str(aside), None, MS_BIND | MS_REC, None)
        kept.append((aside, path))
    return kept


def _unpark(kept: list[tuple[Path, str]]) -> None:
    for aside, path in kept:
        os.makedirs(path, exist_ok=True)
        _mount(str(aside), path, None, MS_BIND | MS_REC, None)
        _mount("", path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)


def _readonly_proc() -> None:
    """runc's read-only /proc paths, made so on this namespace's own procfs where its builder did not."""
    for name in PROC_READONLY:
        target = f"/proc/{name}"
        if os.path.exists(target) and not os.statvfs(target).f_flag & ST_RDONLY:
            _mount(target, target, None, MS_BIND | MS_REC, None)
            kept = os.statvfs(target).f_flag & KEPT_FLAGS  # in a user namespace these are locked: keep them
            _mount("", target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept, None)


def settle_zygote() -> None:
    """In a namespaced zygote, once before it forks: /proc's read-only paths made so for every worker to come, in a
    mount namespace of its own user namespace's (under bubblewrap as an ordinary user the one it starts in belongs
    to the user namespace above: nothing could be mounted there). Workers check again (`_readonly_proc`)."""
    try:
        _readonly_proc()
    except PermissionError:
        _check(_libc().unshare(CLONE_NEWNS), "unshare")
        _readonly_proc()


def prepare_home(folder: Path, size_mb: int) -> bool:
    """In the zygote, before it forks a worker for `folder`: make `home/` a tmpfs of `size_mb` in the zygote's
    own mount namespace, unless something is mounted there already (the judge's tmpfs, when it is root).

    It lasts as long as the zygote, or until the judge removes the folder (the kernel then detaches it
    in every namespace); every worker of the submission forked from here writes there. True if made now."""
    home = folder / "home"
    if size_mb <= 0 or os.stat(home).st_dev != os.stat(folder).st_dev:
        return False
    owner = os.stat(home)
    options = f"size={size_mb}m,mode=0700,uid={owner.st_uid},gid={owner.st_gid}"
    _mount("tmpfs", str(home), "tmpfs", MS_NOSUID | MS_NODEV, options)  # in the namespace `settle_zygote` made
    return True


FULL_BYTES = 1 << 20  # less free than this: the cap was hit (a write the size of what is left fails)


def home_full(folder: Path) -> bool:
    """Is `folder/home` a tmpfs (a mount of its own) that is (nearly) full? Asked by the judge, or by the zygote
    for the homes it mounted; never the worker's word."""
    home = folder / "home"
    try:
        if os.lstat(home).st_dev == os.lstat(folder).st_dev:  # no tmpfs here: nothing to have hit
            return False
        stats = os.statvfs(home)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < FULL_BYTES


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
