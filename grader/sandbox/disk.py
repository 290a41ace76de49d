"""A submission's writable space, bounded in total: its home folder is a size-limited tmpfs.

A worker writes only in its sandbox folder's `home/` (kept for the submission's next worker:
files saved in one process are loaded in the next) and in its own fresh /tmp, /var/tmp and
/dev/shm (tmpfs of fixed sizes, freed with it). Without a cap on `home/` a worker could fill
the host's disk, 64 MB (the per-file limit) at a time. So `home/` is a tmpfs of
`WorkerLimits.disk_mb`: its pages are charged to the memory cgroup of the worker that writes
them (its cage), a write past the cap fails with ENOSPC, and the judge, which sees how full it
is, flags the submission `disk-limit`.

- A root grader mounts it on the host when it makes the folder (`mount_home`) and removes it
  with the folder (`release`). The sandbox base is made a shared mount first (`share_base`), so
  the mount shows in the namespaces of zygotes started earlier (they bind the base as slaves).
- A grader run as an ordinary user cannot mount on the host: its zygote mounts the tmpfs in its
  own namespace before it forks the submission's first worker (`grader.sandbox.confine.prepare_home`)
  and answers the judge's question of how full it is. A worker started cold there writes its home
  on disk, capped per file only (the report says so).
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import time
from pathlib import Path

MS_BIND, MS_SHARED, MNT_DETACH = 4096, 1 << 20, 2
PREFIX = "grader-"  # sandbox folders are named grader-<judge pid>-<its parent pid>-<random>
STALE_S = 24 * 3600


def policy(capped: bool) -> str:
    """What bounds a worker's writes, as the report states it (`capped`: homes are tmpfs here)."""
    from grader.sandbox import host
    from grader.sandbox.confine import FRESH, WorkerLimits

    if not capped:
        return f"{WorkerLimits().file_mb} MB per file only"
    fresh = ", ".join(f"{size.upper()}B {target}" for target, size in FRESH)
    home = f"{WorkerLimits().disk_mb} MB home folder (tmpfs) per submission, {fresh} per worker"
    return home if host.is_root() else home + " (a worker started cold: its home on disk, 64 MB per file)"


@functools.cache
def share_base(base: Path) -> bool:
    """Make the sandbox base a shared mount on the host (once per process; root only), so that a home tmpfs
    mounted under it later propagates into every zygote's namespace. False where that cannot be done."""
    import fcntl

    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # judges of one pool start together: one bind, not one each
        if not _is_mount_point(base):
            _mount(str(base), str(base), MS_BIND)
        _mount("none", str(base), MS_SHARED)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _is_mount_point(path: Path) -> bool:
    """Is `path` a mount point of this namespace? (mountinfo writes a space, tab, newline or backslash as \\ooo)"""
    target = str(path.resolve())
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as handle:
        points = [line.split()[4] for line in handle if len(line.split()) > 4]
    return any(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), point) == target for point in points)


def mount_home(folder: Path, uid: int, size_mb: int) -> bool:
    """Mount `folder/home` as a tmpfs of `size_mb` owned by `uid` (a root grader; True when mounted)."""
    if not share_base(folder.parent):
        return False
    try:
        _mount("tmpfs", str(folder / "home"), 0, "tmpfs", f"size={size_mb}m,mode=0700,uid={uid},gid={uid}")
        os.mkdir(folder / "home" / "tmp")
        os.chown(folder / "home" / "tmp", uid, uid)
    except OSError:
        return False
    return True


def release(folder: Path) -> None:
    """Remove a sandbox folder and the tmpfs on its home, if any (never following a link the worker made)."""
    home = folder / "home"
    try:
        if os.lstat(home).st_dev != os.lstat(folder).st_dev:
            _umount(home)
    except OSError:
        pass
    shutil.rmtree(folder, ignore_errors=True)


def folder_prefix() -> str:
    """A sandbox folder's name starts with its judge's pid and that judge's parent's (see `sweep`)."""
    return f"{PREFIX}{os.getpid()}-{os.getppid()}-"


def sweep(base: Path, *, parent: int | None = None) -> None:
    """Unmount and remove the sandbox folders of judges that are gone (killed before they cleaned up).

    With `parent`: those of that process's judges that are dead, at once (a batch, after its pool). Without:
    any whose judge is dead and whose folder is a day old (a judge in another PID namespace may share /tmp).
    POSIX only: elsewhere `os.kill(pid, 0)` is no question but a kill."""
    if os.name != "posix":
        return
    for folder in base.glob(PREFIX + "*-*-*"):
        judge, _, rest = folder.name[len(PREFIX):].partition("-")
        started_by = rest.partition("-")[0]
        if not (judge.isdigit() and started_by.isdigit()) or _alive(int(judge)):
            continue
        try:
            old = time.time() - os.lstat(folder).st_mtime > STALE_S
        except OSError:
            continue
        if old or int(started_by) == parent:
            release(folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@functools.cache
def _libc():  # type: ignore[no-untyped-def]
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _mount(source: str, target: str, flags: int, fstype: str | None = None, data: str | None = None) -> None:
    import ctypes

    if _libc().mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                     data.encode() if data else None) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"mount {target}: {os.strerror(code)}")


def _umount(target: Path) -> None:
    import ctypes

    if _libc().umount2(str(target).encode(), MNT_DETACH) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"umount {target}: {os.strerror(code)}")
