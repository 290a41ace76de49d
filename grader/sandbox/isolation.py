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
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import host
from grader.sandbox.confine import PARK

# bench only: "previous" grades with the isolation of before issue 14 (no uid switch, shared /tmp, no CPU quota)
PREVIOUS = os.environ.get("GRADER_BENCH_ISOLATION") == "previous"


@dataclass(frozen=True)
class Isolation:
    """What protects the world from a worker, as the report states it."""

    network: str  # "namespace" | "python-guard"
    filesystem: str  # "namespace" | "none"
    uid: str = ""
    dev: str = "host"  # "minimal" | "host"
    proc: str = "host"  # "masked" | "host"

    def to_dict(self) -> dict[str, str]:
        return {"network": self.network, "filesystem": self.filesystem, "uid": self.uid, "dev": self.dev,
                "proc": self.proc}


@functools.cache
def namespaces_available() -> bool:
    """Can we build the worker's namespaces, root and per-worker sandbox here? Checked once per process,
    by doing it (a worker that could not would fail every submission instead of falling back)."""
    if shutil.which("unshare") is None or os.environ.get("GRADER_NO_NAMESPACES"):
        return False
    from grader.sandbox.privileges import submission_uid

    folder = Path(tempfile.mkdtemp(prefix="probe-", dir=sandbox_base()))
    try:
        (folder / "home").mkdir()
        if os.geteuid() == 0:
            os.chown(folder / "home", *(2 * [submission_uid()]))
        folder.chmod(0o555 if os.geteuid() == 0 else 0o755)
        package_parent = str(Path(__file__).resolve().parents[2])
        command = [sys.executable, "-I", "-c", _SELF_CHECK, package_parent, str(folder), str(sandbox_base())]
        done = subprocess.run(_wrap(command, hide=[]), capture_output=True, timeout=60, cwd=folder / "home")
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return done.returncode == 0


_SELF_CHECK = (
    "import sys; sys.path.insert(0, sys.argv[1])\n"
    "from pathlib import Path\n"
    "from grader.sandbox.confine import enter_worker_sandbox\n"
    "enter_worker_sandbox(Path(sys.argv[2]), Path(sys.argv[3]), namespaced=True)\n"
    "import os; assert open('probe', 'w').write('x') and os.getuid() != 0\n"
)


def current_isolation() -> Isolation:
    if namespaces_available():
        return Isolation("namespace", "namespace", _uid_policy(True), "minimal", "masked")
    return Isolation("python-guard", "none", _uid_policy(False))


def switches_uid() -> bool:
    """Do a root grader's workers switch to a uid of their own? Not in the bench's "previous" mode, and
    not where, without namespaces, they would see the machine's own folders and Python is in one that
    other users cannot enter (pyenv under /root): there they keep root, without capabilities."""
    if not host.is_root() or PREVIOUS:
        return False
    return namespaces_available() or all(_others_can_enter(path) for path in _visible_paths())


def _others_can_enter(path: Path) -> bool:
    return all(not folder.is_dir() or os.stat(folder).st_mode & stat.S_IXOTH for folder in (path, *path.parents))


def _uid_policy(namespaced: bool) -> str:
    if PREVIOUS:
        return "the grader's uid, without capabilities"
    if switches_uid():
        return "unprivileged (a uid of its own per submission, no rights on the host)"
    if os.geteuid() == 0:
        return "root, without capabilities (Python is in a folder other users cannot enter)"
    if namespaced:
        return "unprivileged (65534 in a user namespace; the grader's uid outside, without capabilities)"
    return "the grader's uid (not root), without capabilities"


def sandbox_base() -> Path:
    """Where every worker's folder lives: one value, computed by the judge and handed to its workers.

    Read-only (0555) to workers; owned by the judge's uid, which is checked, so that a folder
    someone else planted at this predictable path (or a symlink) is never used. Without uids
    (Windows) it lies in the user's own temporary folder, which no other user may enter."""
    uid = host.euid()
    base = Path(tempfile.gettempdir()) / ("grader-sandboxes" if uid == 0 else
                                          "grader-sandboxes" + ("" if uid is None else f"-{uid}"))
    try:
        base.mkdir(mode=0o555 if uid == 0 else 0o755)  # root writes without the w bit
    except FileExistsError:
        pass
    info = os.lstat(base)
    if not stat.S_ISDIR(info.st_mode) or (uid is not None and (info.st_uid != uid or info.st_mode & 0o022)):
        raise OSError(f"{base} is not a folder of the grader's own; remove it")
    return base


def wrap_command(command: list[str], *, hide: list[Path], show: list[Path] = ()) -> list[str]:
    """`command` run inside new namespaces, in a root built from an allow-list (see `_mount_script`).

    A PID namespace too: workers cannot see or signal the judge, and when the
    namespace's first process (the zygote) ends, the kernel ends every process in it. `show`: more
    read-only folders the worker needs (the graded assignment's folder, wherever its course lives).
    """
    return _wrap(command, hide=hide, show=show) if namespaces_available() else command


def _wrap(command: list[str], *, hide: list[Path], show: list[Path] = ()) -> list[str]:
    enter = 'cd "$1" && shift && exec "$@"'  # the caller's cwd, as seen inside the new root
    # pivot_root, not chroot: the old root is detached for good, and a worker may still make the
    # user namespace it needs to drop to 65534 when the grader is not root (refused inside a chroot)
    pivot = shutil.which("pivot_root", path="/usr/sbin:/usr/bin:/sbin:/bin") or "pivot_root"
    script = 'W="$PWD"\n' + _mount_script(hide, show) + f'cd "$R" && {pivot} . {OLD_ROOT[1:]} && umount -l {OLD_ROOT}\n'
    script += f"exec /bin/sh -c {shlex.quote(enter)} sh \"$W\" "
    script += shlex.join(command)
    unshare = [shutil.which("unshare") or "unshare", "--mount", "--net", "--pid", "--fork", "--kill-child",
               "--propagation", "private"]
    if os.geteuid() != 0:
        unshare.insert(1, "--map-root-user")
    return [*unshare, "/bin/sh", "-c", script]


ROOT = "/run/grader-root"
OLD_ROOT = "/.old-root"  # where pivot_root puts the machine's root, detached at once
# What a worker may see of /etc: enough for the dynamic loader, locales and SSL, nothing more.
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf", "hosts",
       "host.conf", "resolv.conf", "ssl", "ca-certificates", "alternatives", "mime.types", "fonts")
# The only device nodes a worker gets (GPU nodes are added where they exist): no tty, pts or disk.
DEVICES = ("null", "zero", "full", "random", "urandom")
GPU_DEVICES = ("nvidia0", "nvidia1", "nvidia2", "nvidia3", "nvidia4", "nvidia5", "nvidia6", "nvidia7",
               "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset", "nvidia-caps")
# runc's masked paths (files get /dev/null, folders an empty read-only tmpfs) and read-only paths.
PROC_MASKED = ("acpi", "asound", "interrupts", "kcore", "keys", "latency_stats", "timer_list", "timer_stats",
               "sched_debug", "scsi", "kallsyms", "kmsg", "sysrq-trigger", "kpagecount", "kpageflags",
               "kpagecgroup", "config.gz")
PROC_READONLY = ("bus", "fs", "irq", "sys")
# What a worker sees of /sys (read-only): CPU and NUMA topology, and where a GPU exists, the PCI tree.
SYS_VISIBLE = ("/sys/devices/system/cpu", "/sys/devices/system/node")
SYS_FOR_GPU = ("/sys/bus/pci", "/sys/devices", "/sys/module/nvidia")


def _mount_script(hide: list[Path], show: list[Path] = ()) -> str:
    """Shell run as root inside the new namespaces, before Python starts: build the worker's root.

    The root is an empty tmpfs into which only what a worker needs is bound read-only:
    /usr, part of /etc, Python's installation and the grading environment's
    site-packages, the course's `assignments/` and the grader package. Nothing else of
    the machine exists there: not `solutions/`, `.git`, /opt, other checkouts, HOME, the
    judge's PYTHONPATH or the output folder. /dev is a tmpfs holding only null, zero,
    full, random, urandom (and GPU nodes where present); /proc shows only the namespace's
    processes, with runc's masked and read-only paths; /sys is a read-only sliver; the
    cgroup tree is hidden (a worker must not move out of its cage). /tmp, /var/tmp and
    /dev/shm get a fresh tmpfs per worker (`enter_worker_sandbox`), as does the sandbox
    base, where each worker sees only its own folder.
    """
    q = shlex.quote
    lines = [
        # the new root's mount points must be traversable by the worker's uid whatever the instructor's umask
        "set -e", "umask 022", f"R={ROOT}", 'mkdir -p "$R"', 'mount -t tmpfs -o size=64m,mode=0755 tmpfs "$R"',
        f'mkdir -p "$R{PARK}" "$R{OLD_ROOT}" "$R/tmp" "$R/var/tmp" "$R/proc" "$R/dev" "$R/sys"',
        'for tmp in /tmp /var/tmp; do mount -t tmpfs -o mode=1777,size=1g,nosuid,nodev tmpfs "$R$tmp"; done',
        'for link in /bin /sbin /lib /lib32 /lib64 /libx32; do '
        '[ -L "$link" ] && ln -s "$(readlink "$link")" "$R$link"; done; true',
        'bind() { [ -e "$1" ] || return 0; if [ -d "$1" ]; then mkdir -p "$R$1"; else '
        'mkdir -p "$(dirname "$R$1")"; : > "$R$1"; fi; mount --rbind "$1" "$R$1"; '
        'if [ "$2" != rw ]; then mount -o remount,bind,ro "$R$1" 2>/dev/null || true; fi; }',
    ]
    lines += [f"bind {q(str(path))}" for path in _visible_paths(show)]
    lines += _dev_lines() + _proc_lines() + _sys_lines()
    lines.append(f"bind {q(str(sandbox_base().resolve()))} rw")
    for path in hide:  # belt and braces: should a hidden folder lie inside a bound one
        lines.append(f'[ -d "$R"{q(str(path))} ] && mount -t tmpfs -o size=4k,mode=000 tmpfs "$R"{q(str(path))} || true')
    lines.append('mount -o remount,bind,ro "$R"')  # the scaffolding itself: no new files next to the course
    return "\n".join(lines) + "\n"


def _dev_lines() -> list[str]:
    """A minimal /dev: a few harmless character devices, the fd links, an empty shm (no tty, no disks)."""
    lines = ['mount -t tmpfs -o mode=0755,size=64k,nosuid tmpfs "$R/dev"', 'mkdir "$R/dev/shm"',
             'mount -t tmpfs -o mode=1777,size=1g,nosuid,nodev tmpfs "$R/dev/shm"']
    lines += [f"bind /dev/{name} rw" for name in DEVICES + GPU_DEVICES]
    lines += ['ln -s /proc/self/fd "$R/dev/fd"', 'ln -s /proc/self/fd/0 "$R/dev/stdin"',
              'ln -s /proc/self/fd/1 "$R/dev/stdout"', 'ln -s /proc/self/fd/2 "$R/dev/stderr"',
              'mount -o remount,bind,ro,nosuid "$R/dev"']
    return lines


def _proc_lines() -> list[str]:
    lines = ['mount -t proc -o nosuid,nodev,noexec proc "$R/proc"']
    for name in PROC_MASKED:
        lines.append(f'if [ -d "$R/proc/{name}" ]; then mount -t tmpfs -o ro,size=4k tmpfs "$R/proc/{name}"; '
                     f'elif [ -e "$R/proc/{name}" ]; then mount --bind /dev/null "$R/proc/{name}"; fi')
    for name in PROC_READONLY:
        lines.append(f'if [ -e "$R/proc/{name}" ]; then mount --bind "$R/proc/{name}" "$R/proc/{name}" && '
                     f'mount -o remount,bind,ro "$R/proc/{name}"; fi')
    return lines


def _sys_lines() -> list[str]:
    lines = ['mount -t tmpfs -o size=4k,mode=0755 tmpfs "$R/sys"']
    lines += [f"bind {path}" for path in SYS_VISIBLE]
    lines.append("if [ -e /dev/nvidiactl ]; then " + "; ".join(f"bind {p}" for p in SYS_FOR_GPU) + "; fi")
    lines.append('mount -o remount,bind,ro "$R/sys"')
    return lines


def _visible_paths(show: list[Path] = ()) -> list[Path]:
    """Read-only parts of the machine a worker sees, in mount order (parents first): Python, the grading
    environment's site-packages, the grader package and the course's assignments; nothing from the
    judge's PYTHONPATH or .pth-added folders, nothing of /opt."""
    from grader.course.assignments import course_root

    package = Path(__file__).resolve().parents[1]  # the grader package
    paths = [Path("/usr"), *(Path("/etc") / name for name in ETC)]
    paths += [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()]
    paths += [Path(p).resolve() for p in site.getsitepackages()]
    paths += [course_root().resolve() / "assignments", package, *(Path(s).resolve() for s in show)]
    return sorted({p for p in paths if p.exists()}, key=lambda p: len(p.parts))
