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
    """Can we build the worker's namespaces and root here? Checked once per process, by doing it."""
    if shutil.which("unshare") is None or os.environ.get("GRADER_NO_NAMESPACES"):
        return False
    try:
        done = subprocess.run(_wrap(["/bin/true"], hide=[]), capture_output=True, timeout=30, cwd="/")
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


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
    """`command` run inside new namespaces, in a root built from an allow-list (see `_mount_script`).

    A PID namespace too: workers cannot see or signal the judge, and when the
    namespace's first process (the zygote) ends, the kernel ends every process in it.
    """
    return _wrap(command, hide=hide) if namespaces_available() else command


def _wrap(command: list[str], *, hide: list[Path]) -> list[str]:
    enter = 'cd "$1" && shift && exec "$@"'  # the caller's cwd, as seen inside the new root
    chroot = shutil.which("chroot", path="/usr/sbin:/usr/bin:/sbin:/bin") or "chroot"
    script = _mount_script(hide) + f"exec {chroot} {ROOT} /bin/sh -c {shlex.quote(enter)} sh \"$PWD\" "
    script += shlex.join(command)
    unshare = [shutil.which("unshare") or "unshare", "--mount", "--net", "--pid", "--fork", "--kill-child",
               "--propagation", "private"]
    if os.geteuid() != 0:
        unshare.insert(1, "--map-root-user")
    return [*unshare, "/bin/sh", "-c", script]


ROOT = "/run/grader-root"
# What a worker may see of /etc: enough for the dynamic loader, locales and SSL, nothing more.
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf", "hosts",
       "host.conf", "resolv.conf", "ssl", "ca-certificates", "alternatives", "mime.types", "fonts")


def _mount_script(hide: list[Path]) -> str:
    """Shell run as root inside the new namespaces, before Python starts: build the worker's root.

    The root is an empty tmpfs into which only what a worker needs is bound read-only:
    /usr, part of /etc, Python's installation and site-packages, the course's
    `assignments/` and the grader package. Nothing else of the machine exists there:
    not `solutions/`, `.git`, other checkouts, HOME or the output folder. /tmp, /var/tmp
    and /dev/shm are empty and private; /proc shows only the namespace's processes; the
    cgroup tree is hidden (a worker must not move out of its cage). The sandbox folders
    are the only writable place, and `own_folder_only` narrows that to one folder.
    """
    q = shlex.quote
    lines = [
        "set -e", f"R={ROOT}", 'mkdir -p "$R"', 'mount -t tmpfs -o size=64m,mode=0755 tmpfs "$R"',
        'mkdir -p "$R/run/grader-keep" "$R/tmp" "$R/var/tmp" "$R/proc" "$R/dev" "$R/sys"',
        'for tmp in /tmp /var/tmp; do mount -t tmpfs -o mode=1777,size=1g tmpfs "$R$tmp"; done',
        'for link in /bin /sbin /lib /lib32 /lib64 /libx32; do '
        '[ -L "$link" ] && ln -s "$(readlink "$link")" "$R$link"; done; true',
        'bind() { [ -e "$1" ] || return 0; if [ -d "$1" ]; then mkdir -p "$R$1"; else '
        'mkdir -p "$(dirname "$R$1")"; : > "$R$1"; fi; mount --rbind "$1" "$R$1"; '
        'if [ "$2" != rw ]; then mount -o remount,bind,ro "$R$1" 2>/dev/null || true; fi; }',
    ]
    for path in _visible_paths():
        lines.append(f"bind {q(str(path))}")
    lines += [
        'mount --rbind /dev "$R/dev"', 'mount -t tmpfs -o mode=1777,size=1g tmpfs "$R/dev/shm"',
        'mount -t proc proc "$R/proc"',
        'mount --rbind /sys "$R/sys"', 'mount -o remount,bind,ro "$R/sys" 2>/dev/null || true',
        'mount -t tmpfs -o ro,size=4k tmpfs "$R/sys/fs/cgroup" 2>/dev/null || true',
        f"bind {q(str(sandbox_base().resolve()))} rw",
    ]
    for path in hide:  # belt and braces: should a hidden folder lie inside a bound one
        lines.append(f'[ -d "$R"{q(str(path))} ] && mount -t tmpfs -o size=4k,mode=000 tmpfs "$R"{q(str(path))} || true')
    lines.append('mount -o remount,ro "$R"')  # the scaffolding itself: no new files next to the course
    return "\n".join(lines) + "\n"


def _visible_paths() -> list[Path]:
    """Read-only parts of the machine a worker sees, in mount order (parents first)."""
    from grader.course import course_root

    package = Path(__file__).resolve().parent
    course = course_root().resolve()
    paths = [Path("/usr"), *(Path("/etc") / name for name in ETC), Path("/opt")]
    paths += [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()]
    paths += [Path(p).resolve() for p in site.getsitepackages()]
    for entry in sys.path:  # .pth-added folders, except a checkout (only its grader/ is needed)
        folder = Path(entry or ".").resolve()
        if folder.is_dir() and folder not in (course, package.parent) and not _under(course, folder):
            paths.append(folder)
    paths += [course / "assignments", package]
    return sorted({p for p in paths if p.exists()}, key=lambda p: len(p.parts))


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
    """True when `path` is `folder` or inside it."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def guard_sockets() -> None:
    """Fallback network block, installed in the worker before student code runs."""
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("network access is disabled while grading")

    for name in ("connect", "connect_ex", "bind", "sendto"):
        setattr(socket.socket, name, refuse)
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]
