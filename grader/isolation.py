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
    """Where every worker's folder lives; the only place (with /dev/shm) a caged worker can write."""
    SANDBOX_BASE.mkdir(mode=0o711, exist_ok=True)
    return SANDBOX_BASE


def wrap_command(command: list[str], *, hide: list[Path]) -> list[str]:
    """`command` run inside new namespaces with the mounts above (unchanged where unavailable)."""
    if not namespaces_available():
        return command
    script = _mount_script(hide) + "exec " + shlex.join(command)
    unshare = [shutil.which("unshare") or "unshare", "--mount", "--net", "--propagation", "private"]
    if os.geteuid() != 0:
        unshare.insert(1, "--map-root-user")
    return [*unshare, "/bin/sh", "-c", script]


def _mount_script(hide: list[Path]) -> str:
    """Shell run inside the namespace, before Python starts: read-only code, hidden secrets, private /tmp.

    Folders under /tmp that workers need (their own sandboxes, a course kept in /tmp) are
    parked under /run, a fresh tmpfs goes on /tmp, and they are mounted back.
    """
    tmp = Path(tempfile.gettempdir()).resolve()
    keep = [sandbox_base().resolve()] + [p for p in _readonly_paths() if _under(p, tmp)]
    lines = ["set -e", "mkdir -p /run/grader-keep"]
    readonly = sorted({str(p) for p in _readonly_paths() if p.exists()}, key=len)
    for path in readonly:
        q = shlex.quote(path)
        lines.append(f"mount --bind {q} {q} && mount -o remount,bind,ro {q} || true")
    for path in hide:
        if path.exists():
            lines.append(f"mount -t tmpfs -o size=64k,mode=000 tmpfs {shlex.quote(str(path))} || true")
    for index, path in enumerate(keep):
        lines += [f"mkdir -p /run/grader-keep/{index}", f"mount --rbind {shlex.quote(str(path))} /run/grader-keep/{index}"]
    lines.append(f"mount -t tmpfs -o mode=1777 tmpfs {shlex.quote(str(tmp))}")
    for index, path in enumerate(keep):
        q = shlex.quote(str(path))
        lines += [f"mkdir -p {q}", f"mount --rbind /run/grader-keep/{index} {q}"]
    return "\n".join(lines) + "\n"


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
