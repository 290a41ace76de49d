"""Network and filesystem isolation for worker processes: which tool builds the worker's root, and how.

Where the kernel allows it (root, or unprivileged user namespaces), the zygote and cold
workers start inside new mount, network, PID, IPC and UTS namespaces, in a root built from an
allow-list (`grader.sandbox.root`): bubblewrap builds it where `bwrap` is installed
(`grader.sandbox.bubblewrap`, mode "bubblewrap"), else the mount script below (mode
"namespaces", the tested fallback). Each worker then gives itself its own mount and IPC
namespaces, fresh /tmp, /var/tmp and /dev/shm, an unprivileged uid and the seccomp filter
(`grader.sandbox.confine`). Elsewhere the worker blocks sockets from Python before student
code runs (a weaker guard a determined submission can undo), and the report says which mode
was used (mode "none").
"""
from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from grader.sandbox import host
from grader.sandbox.confine import CLONE_NEWIPC, PARK, PROC_READONLY, WorkerSandbox
from grader.sandbox.root import (
    DEVICES,
    GPU_DEVICES,
    PROC_MASKED,
    SYS_FOR_GPU,
    SYS_VISIBLE,
    fresh_tmp_keeps,
    visible_paths,
)

# bench only: "previous" grades with the isolation of before issue 14 (no uid switch, shared /tmp, no CPU
# quota); "issue14" with the isolation issue 14 left (the mount script; no IPC namespace, seccomp or disk cap)
BENCH = os.environ.get("GRADER_BENCH_ISOLATION", "")
PREVIOUS = BENCH == "previous"
ISSUE14 = BENCH == "issue14"


@dataclass(frozen=True)
class Isolation:
    """What protects the world from a worker, as the report states it."""

    network: str  # "namespace" | "python-guard"
    filesystem: str  # "namespace" | "none"
    uid: str = ""
    dev: str = "host"  # "minimal" | "host"
    proc: str = "host"  # "masked" | "host"
    mode: str = "none"  # "bubblewrap" | "namespaces" | "none"
    ipc: str = "host"  # "namespace per worker" | "host"
    syscalls: str = "all"  # what seccomp refuses
    disk: str = "per-file limit only"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@functools.cache
def isolation_mode() -> str:
    """Which builder makes the worker's root here: "bubblewrap", "namespaces" (the mount script) or "none".

    Checked once per process, by doing it: a worker that could not would fail every submission
    instead of falling back. `GRADER_NO_BWRAP` / `GRADER_NO_NAMESPACES` rule modes out (tests, bench)."""
    if os.environ.get("GRADER_NO_NAMESPACES"):
        return "none"
    from grader.sandbox.bubblewrap import bwrap_path

    if not (PREVIOUS or ISSUE14) and bwrap_path() is not None and _self_check("bubblewrap"):
        return "bubblewrap"
    if shutil.which("unshare") is not None and _self_check("namespaces"):
        return "namespaces"
    return "none"


def namespaces_available() -> bool:
    """Do workers get their own namespaces and root here (bubblewrap or the mount script)?"""
    return isolation_mode() != "none"


def _self_check(mode: str) -> bool:
    from grader.sandbox.privileges import submission_uid

    folder = Path(tempfile.mkdtemp(prefix="probe-", dir=sandbox_base()))
    try:
        (folder / "home").mkdir()
        if host.is_root():
            os.chown(folder / "home", *(2 * [submission_uid()]))
        folder.chmod(0o555 if host.is_root() else 0o755)
        package_parent = str(Path(__file__).resolve().parents[2])
        plan = json_sandbox(replace(_plan(namespaced=True, show=[]), previous=False))  # can it switch uid?
        command = [sys.executable, "-I", "-c", _SELF_CHECK, package_parent, str(folder), str(sandbox_base()), plan]
        with _build(mode, command, hide=[], show=[]) as wrapped:
            done = subprocess.run(wrapped.argv, capture_output=True, timeout=60, cwd=folder / "home",
                                  pass_fds=wrapped.fds)
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return done.returncode == 0


_SELF_CHECK = (
    "import sys; sys.path.insert(0, sys.argv[1])\n"
    "from pathlib import Path\n"
    "from grader.sandbox.confine import enter_worker_sandbox, sandbox_from_json\n"
    "enter_worker_sandbox(Path(sys.argv[2]), Path(sys.argv[3]), sandbox_from_json(sys.argv[4]))\n"
    "import os; assert open('probe', 'w').write('x') and os.getuid() != 0\n"
)


def json_sandbox(sandbox: WorkerSandbox) -> str:
    return json.dumps(asdict(sandbox))


def _seccomp_on() -> bool:
    from grader.sandbox import seccomp

    return not (PREVIOUS or ISSUE14) and seccomp.available()


def worker_sandbox(show: list[Path] = ()) -> WorkerSandbox:
    """What each new worker is told to do to itself here (its own namespaces, what it keeps seeing, the filter)."""
    return _plan(namespaced=namespaces_available(), show=show)


def _plan(*, namespaced: bool, show: list[Path]) -> WorkerSandbox:
    before_24 = ISSUE14 or PREVIOUS  # the bench's modes of before issue 24
    keep = () if before_24 or not namespaced else tuple(fresh_tmp_keeps(visible_paths(show)))
    return WorkerSandbox(namespaced=namespaced, keep=keep, seccomp=_seccomp_on(), ipc=not before_24,
                         previous=PREVIOUS)


def current_isolation() -> Isolation:
    from grader.sandbox import disk

    mode = isolation_mode()
    before_24 = ISSUE14 or PREVIOUS
    syscalls = ("keyrings, namespaces, mounts and the rest of Docker's default seccomp denials"
                if _seccomp_on() else "all (no seccomp filter here)")
    if mode != "none":
        ipc = "host" if before_24 else "namespace per worker"
        return Isolation("namespace", "namespace", _uid_policy(True), "minimal", "masked", mode, ipc, syscalls,
                         disk.policy(not before_24))
    ipc = "namespace per worker" if not before_24 and _ipc_namespaces_without_mounts() else "host"
    return Isolation("python-guard", "none", _uid_policy(False), mode=mode, ipc=ipc, syscalls=syscalls,
                     disk=disk.policy(False))


@functools.cache
def _ipc_namespaces_without_mounts() -> bool:
    """Without mount namespaces, can a root grader's workers still make IPC namespaces (they try, before they
    drop root)? Asked by doing it in a child, once per process."""
    if not host.is_root():
        return False
    code = "import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare(%d) != 0)" % CLONE_NEWIPC
    try:
        return subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def judge_mounts_homes() -> bool:
    """Does the judge mount each submission's home tmpfs itself (root, namespaces, not a bench mode of before)?
    Elsewhere with namespaces the zygote does (`grader.sandbox.disk`)."""
    return host.is_root() and namespaces_available() and not (ISSUE14 or PREVIOUS)


def switches_uid() -> bool:
    """Do a root grader's workers switch to a uid of their own? Not in the bench's "previous" mode, and
    not where, without namespaces, they would see the machine's own folders and Python is in one that
    other users cannot enter (pyenv under /root): there they keep root, without capabilities."""
    if not host.is_root() or PREVIOUS:
        return False
    return namespaces_available() or all(_others_can_enter(path) for path in visible_paths())


def _others_can_enter(path: Path) -> bool:
    return all(not folder.is_dir() or os.stat(folder).st_mode & stat.S_IXOTH for folder in (path, *path.parents))


def _uid_policy(namespaced: bool) -> str:
    if PREVIOUS:
        return "the grader's uid, without capabilities"
    if switches_uid():
        return "unprivileged (a uid of its own per submission, no rights on the host)"
    if host.is_root():
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
    _tidy(base)
    return base


@functools.cache
def _tidy(base: Path) -> None:
    """Once per process: the base shared (so a home tmpfs shows in zygotes started earlier), and the folders of
    judges killed before they cleaned up removed (`grader.sandbox.disk`)."""
    from grader.sandbox import disk

    if host.is_root() and not (PREVIOUS or ISSUE14):
        disk.share_base(base)
    disk.sweep(base)


@dataclass
class Wrapped:
    """A command wrapped in the sandbox, and the descriptors it needs passed (bubblewrap's seccomp filter)."""

    argv: list[str]
    fds: tuple[int, ...] = field(default_factory=tuple)

    def __enter__(self) -> Wrapped:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self.fds:
            os.close(fd)


def wrap_command(command: list[str], *, hide: list[Path], show: list[Path] = ()) -> Wrapped:
    """`command` run inside new namespaces, in a root built from an allow-list (`grader.sandbox.root`).

    A PID namespace too: workers cannot see or signal the judge, and when the
    namespace's first process (the zygote) ends, the kernel ends every process in it. `show`: more
    read-only folders the worker needs (the graded assignment's folder, wherever its course lives).
    Pass `fds` to the process and close them after it started (`with wrap_command(...) as wrapped`).
    """
    mode = isolation_mode()
    return Wrapped(command) if mode == "none" else _build(mode, command, hide=hide, show=show)


def _build(mode: str, command: list[str], *, hide: list[Path], show: list[Path]) -> Wrapped:
    if mode == "namespaces":
        return Wrapped(_wrap(command, hide=hide, show=show))
    from grader.sandbox import seccomp
    from grader.sandbox.bubblewrap import bwrap_command

    fd = seccomp.export("sandbox") if _seccomp_on() else None
    try:
        argv = bwrap_command(command, visible=visible_paths(show), hide=hide, base=sandbox_base().resolve(),
                             seccomp_fd=fd, park=PARK)
    except OSError:
        if fd is not None:
            os.close(fd)
        raise
    return Wrapped(argv, () if fd is None else (fd,))


def _wrap(command: list[str], *, hide: list[Path], show: list[Path] = ()) -> list[str]:
    enter = 'cd "$1" && shift && exec "$@"'  # the caller's cwd, as seen inside the new root
    # pivot_root, not chroot: the old root is detached for good, and a worker may still make the
    # user namespace it needs to drop to 65534 when the grader is not root (refused inside a chroot)
    pivot = shutil.which("pivot_root", path="/usr/sbin:/usr/bin:/sbin:/bin") or "pivot_root"
    script = 'W="$PWD"\n' + _mount_script(hide, show) + f'cd "$R" && {pivot} . {OLD_ROOT[1:]} && umount -l {OLD_ROOT}\n'
    script += f"exec /bin/sh -c {shlex.quote(enter)} sh \"$W\" "
    script += shlex.join(command)
    unshare = [shutil.which("unshare") or "unshare", "--mount", "--net", "--pid", "--fork", "--kill-child",
               "--propagation", "slave"]  # slave: a home tmpfs the judge mounts later still shows (grader.sandbox.disk)
    if not ISSUE14:
        unshare[1:1] = ["--ipc", "--uts"]
    if not host.is_root():
        unshare.insert(1, "--map-root-user")
    return [*unshare, "/bin/sh", "-c", script]


ROOT = "/run/grader-root"
OLD_ROOT = "/.old-root"  # where pivot_root puts the machine's root, detached at once


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
    lines += [f"bind {q(str(path))}" for path in visible_paths(show)]
    lines += _dev_lines() + _proc_lines() + _sys_lines()
    # only the base receives the host's mounts (a home tmpfs the judge mounts later): everything else private,
    # which keeps each worker's copy of this namespace cheap
    lines += ['mount --make-rprivate "$R"', f"bind {q(str(sandbox_base().resolve()))} rw"]
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
