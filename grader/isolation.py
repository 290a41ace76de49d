"""Network and filesystem isolation for worker processes.

Where the kernel allows it (root, or unprivileged user namespaces), the zygote
and cold workers start inside new mount and network namespaces: no network
interface but a downed loopback, the course (with `solutions/` and the output
folder hidden under empty mounts), Python's installation and HOME read-only,
and a private `/tmp`. Elsewhere the worker blocks sockets from Python before
student code runs (a weaker guard a determined submission can undo), and the
report says which mode was used.
"""
from __future__ import annotations

import functools
import os
import shlex
import shutil
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SANDBOX_BASE = Path(tempfile.gettempdir()) / "grader-sandboxes"


@dataclass(frozen=True)
class Isolation:
    """What protects the world from a worker, as the report states it."""

    network: str  # "namespace" | "python-guard"
    filesystem: str  # "namespace" | "none"

    def to_dict(self) -> dict[str, str]:
        return {"network": self.network, "filesystem": self.filesystem}


@functools.cache
def namespaces_available() -> bool:
    """Can we create mount + network namespaces here? (Checked once per process.)"""
    unshare = shutil.which("unshare")
    if unshare is None or os.environ.get("GRADER_NO_NAMESPACES"):
        return False
    for extra in ([], ["--map-root-user"]):
        try:
            done = subprocess.run([unshare, *extra, "--mount", "--net", "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return False
        if done.returncode == 0:
            return True
    return False


def current_isolation() -> Isolation:
    if namespaces_available():
        return Isolation("namespace", "namespace")
    return Isolation("python-guard", "none")


def sandbox_base() -> Path:
    """Where every worker's folder lives. Read-only (0555) to workers, which run without
    CAP_DAC_OVERRIDE: they cannot rename, replace or add folders here; the judge can."""
    SANDBOX_BASE.mkdir(mode=0o555, exist_ok=True)
    return SANDBOX_BASE


def wrap_command(command: list[str], *, hide: list[Path]) -> list[str]:
    """`command` run inside new namespaces with the mounts above (unchanged where unavailable).

    A PID namespace too: workers cannot see or signal the judge, and when the
    namespace's first process (the zygote) ends, the kernel ends every process in it.
    """
    if not namespaces_available():
        return command
    # cd again: the cwd inherited from the caller still points into the pre-namespace mounts
    script = _mount_script(hide) + 'cd "$PWD"\nexec ' + shlex.join(command)
    unshare = [shutil.which("unshare") or "unshare", "--mount", "--net", "--pid", "--fork", "--kill-child",
               "--propagation", "private"]
    if os.geteuid() != 0:
        unshare.insert(1, "--map-root-user")
    return [*unshare, "/bin/sh", "-c", script]


# Filesystems that are not storage: left alone when everything else is made read-only.
_VIRTUAL = "proc|sysfs|devtmpfs|devpts|tmpfs|cgroup|cgroup2|mqueue|debugfs|tracefs|securityfs|pstore|bpf|fusectl"


def _mount_script(hide: list[Path]) -> str:
    """Shell run inside the namespace, before Python starts.

    Every real filesystem becomes read-only; `solutions/`, the output folder and the
    course's `.git` are hidden under empty mounts; /tmp, /var/tmp and /dev/shm are
    fresh; the cgroup tree is hidden (a worker must not move itself out of its cage).
    The sandbox folders (and a course kept under /tmp) are parked, then mounted back.
    """
    tmp = Path(tempfile.gettempdir()).resolve()
    keep = [sandbox_base().resolve()] + [p for p in _readonly_paths() if _under(p, tmp)]
    lines = ["set -e"] + [f"mkdir -p /run/grader-keep/{i}" for i in range(len(keep))]
    for path in hide:
        if path.exists():
            lines.append(f"mount -t tmpfs -o size=64k,mode=000 tmpfs {shlex.quote(str(path))} || true")
    for index, path in enumerate(keep):
        lines.append(f"mount --rbind {shlex.quote(str(path))} /run/grader-keep/{index}")
    lines.append(f"awk '{{print $2, $3}}' /proc/self/mounts | while read -r mp fs; do case $mp in "
                 f"/run/grader-keep/0*) continue ;; esac; case $fs in {_VIRTUAL}) ;; "
                 "*) mount -o remount,bind,ro \"$mp\" 2>/dev/null || true ;; esac; done")
    for private in (str(tmp), "/var/tmp", "/dev/shm"):
        lines.append(f"mount -t tmpfs -o mode=1777,size=1g tmpfs {shlex.quote(private)} || true")
    lines.append("mount -t tmpfs -o ro,size=4k tmpfs /sys/fs/cgroup || true")
    for index, path in enumerate(keep):
        q = shlex.quote(str(path))
        lines += [f"mkdir -p {q}", f"mount --rbind /run/grader-keep/{index} {q}"]
    return "\n".join(lines) + "\n"


def own_folder_only(folder: Path) -> None:
    """In a forked worker, before dropping privileges: a private mount namespace in which the
    sandbox base shows only this worker's folder (other submissions' folders disappear)."""
    import ctypes

    clone_newns, ms_bind = 0x00020000, 4096
    libc = ctypes.CDLL(None, use_errno=True)
    park = b"/run/grader-keep"  # made by the zygote's mount script; a fresh tmpfs goes on it here

    def mount(source: bytes, target: bytes, fstype: bytes | None, flags: int, data: bytes | None) -> bool:
        return libc.mount(source, target, fstype, flags, data) == 0

    if libc.unshare(clone_newns) != 0 or not mount(b"tmpfs", park, b"tmpfs", 0, b"size=16k"):
        return
    own, base = str(folder).encode(), str(sandbox_base()).encode()
    os.mkdir(park + b"/self")
    if not mount(own, park + b"/self", None, ms_bind, None):
        return
    if mount(b"tmpfs", base, b"tmpfs", 0, b"size=16k,mode=0555"):
        os.makedirs(own, exist_ok=True)
        mount(park + b"/self", own, None, ms_bind, None)


def _under(path: Path, folder: Path) -> bool:
    try:
        return path.exists() and path.resolve().is_relative_to(folder)
    except OSError:
        return False


def _readonly_paths() -> list[Path]:
    from grader.course import course_root

    package_parent = Path(__file__).resolve().parent.parent
    paths = [package_parent, course_root(), Path(sys.prefix), Path(sys.base_prefix), Path.home()]
    paths += [Path(p) for p in site.getsitepackages()]
    return [p.resolve() for p in paths]


def guard_sockets() -> None:
    """Fallback network block, installed in the worker before student code runs."""
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("network access is disabled while grading")

    for name in ("connect", "connect_ex", "bind", "sendto"):
        setattr(socket.socket, name, refuse)
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]
