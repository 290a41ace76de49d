"""The worker's root built by bubblewrap (`bwrap`, Debian's `bubblewrap`, what Flatpak uses).

bubblewrap makes the namespaces (mount, network, PID, IPC, UTS; a user namespace when the
grader is not root) and an empty tmpfs root into which only an allow-list is bound read-only:
the same view as the mount script of `grader.sandbox.isolation` (its tested fallback where
`bwrap` is missing), from a tool that is maintained and reviewed for exactly this. The zygote
(or a cold worker) is the namespace's first process and keeps the capabilities it needs to
give each worker its own mounts and IPC namespace (`grader.sandbox.confine`); every worker
drops them all before student code runs. bubblewrap also installs the "sandbox" seccomp filter
(`grader.sandbox.seccomp`): no keyrings and no new user namespace for anything in the sandbox,
and where the grader is not root, `--disable-userns` on top.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from grader.sandbox import host
from grader.sandbox.root import DEVICES, GPU_DEVICES, PROC_MASKED, SYS_FOR_GPU, SYS_VISIBLE

LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
NOBODY = 65534


def bwrap_path() -> str | None:
    """The `bwrap` to use, None where it is missing (or `GRADER_NO_BWRAP` is set, as tests do)."""
    if os.environ.get("GRADER_NO_BWRAP"):
        return None
    return shutil.which("bwrap")


@functools.cache
def features(path: str) -> frozenset[str]:
    """The options of this bubblewrap that are newer than some distributions ship (0.8: --size, --disable-userns)."""
    try:
        text = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(option for option in ("--size", "--disable-userns", "--perms") if option in text)


def bwrap_command(command: list[str], *, visible: list[Path], hide: list[Path], base: Path,
                  seccomp_fd: int | None, park: str) -> list[str]:
    """`command` run by bubblewrap in a root made of `visible` (read-only), the sandbox `base` (read-write), a
    minimal /dev, a masked /proc, a sliver of /sys and fresh /tmp and /var/tmp; `hide` covered by empty mounts."""
    path = bwrap_path()
    if path is None:
        raise OSError("bubblewrap is not installed")
    have = features(path)
    args = [path, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--as-pid-1",
            "--new-session", "--cap-add", "ALL"]
    if not host.is_root():  # a user namespace of its own: its first process is 65534 there, with capabilities
        args += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
        args += ["--disable-userns"] if "--disable-userns" in have else []
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    args += _tmpfs("/tmp", "1777", 1 << 30, have) + _tmpfs("/var/tmp", "1777", 256 << 20, have)
    made: set[Path] = {Path("/"), Path("/tmp"), Path("/var/tmp")}
    bound: list[Path] = []
    args += _links() + _visible(visible, made, bound) + _dev(have) + _proc() + _sys()
    args += _folders([Path(park), base.parent], made, bound) + ["--bind", str(base), str(base)]
    for path_ in hide:  # belt and braces: should a hidden folder lie inside a bound one
        if any(path_.is_relative_to(v) for v in visible) and path_.is_dir():
            args += _tmpfs(str(path_), "000", 4096, have)
    return [*args, "--remount-ro", "/", *command]


def _links() -> list[str]:
    """/bin, /lib, ... as the machine has them: links into /usr (merged /usr), or folders bound read-only."""
    args: list[str] = []
    for link in LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    return args


def _visible(visible: list[Path], made: set[Path], bound: list[Path]) -> list[str]:
    """Each visible path bound read-only, parents first, the folders leading to it made 0755 (bubblewrap makes
    missing parents 0700, which the worker, once unprivileged, could not cross)."""
    args: list[str] = []
    for path in visible:  # parents first (`grader.sandbox.root.visible_paths` sorts them)
        args += _folders([path.parent], made, bound) + ["--ro-bind", str(path), str(path)]
        bound.append(path)
    return args


def _folders(paths: list[Path], made: set[Path], bound: list[Path]) -> list[str]:
    """`--dir` (0755) for each folder on the way to `paths` not made yet, outside every bound (read-only) one."""
    args: list[str] = []
    for path in paths:
        for folder in [*reversed(path.parents), path]:
            if folder not in made and not any(folder.is_relative_to(b) for b in bound):
                args += ["--dir", str(folder)]
                made.add(folder)
    return args


def _dev(have: frozenset[str]) -> list[str]:
    """A minimal /dev: a few harmless character devices, the fd links, an empty shm (no tty, pts or disk)."""
    args = ["--tmpfs", "/dev"]
    for name in DEVICES + GPU_DEVICES:
        args += ["--dev-bind-try", f"/dev/{name}", f"/dev/{name}"]
    args += ["--symlink", "/proc/self/fd", "/dev/fd", "--symlink", "/proc/self/fd/0", "/dev/stdin",
             "--symlink", "/proc/self/fd/1", "/dev/stdout", "--symlink", "/proc/self/fd/2", "/dev/stderr"]
    args += _tmpfs("/dev/shm", "1777", 1 << 30, have)
    return [*args, "--remount-ro", "/dev"]


def _proc() -> list[str]:
    """A procfs of the namespace's own, with runc's masked paths (files under /dev/null, folders under an empty
    read-only tmpfs). Its read-only paths are made so by each worker (`grader.sandbox.confine`), on this procfs."""
    args = ["--proc", "/proc"]
    for name in PROC_MASKED:
        target = f"/proc/{name}"
        if os.path.isdir(target):
            args += ["--tmpfs", target, "--remount-ro", target]
        elif os.path.exists(target):
            args += ["--ro-bind", "/dev/null", target]
    return args


def _sys() -> list[str]:
    args = ["--tmpfs", "/sys"]
    for path in SYS_VISIBLE + (SYS_FOR_GPU if os.path.exists("/dev/nvidiactl") else ()):
        args += ["--ro-bind-try", path, path]
    return [*args, "--remount-ro", "/sys"]


def _tmpfs(target: str, mode: str, size: int, have: frozenset[str]) -> list[str]:
    args = ["--perms", mode] if "--perms" in have else []
    args += ["--size", str(size)] if "--size" in have else []
    return [*args, "--tmpfs", target]
