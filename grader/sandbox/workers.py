"""Starting, limiting and stopping worker processes (the untrusted side's cage).

Each worker gets a fresh temporary folder as its working directory, a private
HOME inside it, a scrubbed environment, resource limits set before any student
code runs, stdout/stderr sent to capped files, and its own process group so the
judge can kill everything it started. Wall-clock limits are enforced here, from
outside the worker.
"""
from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import WorkerCrashed, WorkerNotStarted, WorkerTampered, WorkerTimeout
from grader.protocol import READY, TAMPER_STATUS, Seal, UnsealedReply, read_frame, tamper_report, write_frame
from grader.sandbox.cage import Cage
from grader.sandbox.confine import WorkerLimits

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
# TensorFlow's own C++ log lines ("E0000 00:00:... cuda_platform.cc:52] ...") are not the student's output.
_TF_LOG = re.compile(r"^(?:[EWIF]\d{4} [\d:. ]+\s+\d+ [\w./]+:\d+\]|WARNING: All log messages before absl).*\n?", re.M)


@dataclass(frozen=True)
class Runtime:
    """Where a worker runs: the CPU or one GPU (by index), Keras 3 or legacy Keras 2 (`tf-keras`)."""

    gpu: int | None = None
    legacy: bool = False


def worker_env(home: Path, runtime: Runtime = Runtime()) -> dict[str, str]:
    """A minimal environment: no tokens, no grader paths, TensorFlow kept quiet and single-BLAS-threaded."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "KERAS_HOME": str(home / ".keras"),
    }
    env["CUDA_VISIBLE_DEVICES"] = "-1" if runtime.gpu is None else str(runtime.gpu)
    if runtime.gpu is not None:
        env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"  # one card, shared politely: no grabbing all memory
    if runtime.legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"
    return env


@dataclass
class Worker:
    """The judge's handle on one running worker process."""

    pid: int
    req_fd: int
    resp_fd: int
    folder: Path
    limits: WorkerLimits
    popen: subprocess.Popen[bytes] | None = None
    flags: set[str] = field(default_factory=set)
    cage: Cage = field(default_factory=Cage)
    started: bool = False  # the worker said it is ready to run student code (`grader.worker.serve`)
    home_check: Callable[[], bool] | None = None  # how full its home is, where the judge cannot look itself
    seal: Seal = field(default_factory=Seal)  # this worker's key: sent with the load request, checks each reply
    reap: Callable[[float], int | None] | None = None  # a forked worker's exit status, from its zygote

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and wait for its answer, killing the worker on timeout.

        The first request waits for the worker's ready frame: a worker that ends before it has
        run no student code, and raises WorkerNotStarted (the grader's failure, with its cause).
        Raises WorkerTampered when the worker's tamper checks stopped it (its report, an unsealed
        reply, or its exit status says so)."""
        deadline = time.monotonic() + timeout
        if message.get("op") == "load":
            message = {**message, "seal": self.seal.key.hex()}
        try:
            return self._exchange(message, deadline)
        except WorkerNotStarted:
            raise
        except WorkerTimeout:
            self.kill()
            self.flags.add("timeout")
            raise
        except UnsealedReply as exc:
            self.exit_code(wait=1.0)  # the tripwire ends the worker right after its report: let it, then make sure
            self.kill()
            raise WorkerTampered([tamper_report(exc.message)]) from None
        except (BrokenPipeError, ConnectionResetError, WorkerCrashed) as exc:
            code = self.exit_code(wait=1.0)
            if code == TAMPER_STATUS:
                raise WorkerTampered([{"event": "unknown: the worker ended with the tamper checks' status, "
                                                "its report did not arrive"}]) from None
            text = str(exc) if isinstance(exc, WorkerCrashed) else "the worker process ended"
            raise WorkerCrashed(text, exit_code=code) from None

    def _exchange(self, message: dict[str, Any], deadline: float | None) -> dict[str, Any]:
        if not self.started:
            self._await_ready(deadline)
        write_frame(self.req_fd, message, self.seal, deadline=deadline)  # a worker that stops reading cannot hold the judge
        return read_frame(self.resp_fd, deadline, self.seal)

    def _await_ready(self, deadline: float | None) -> None:
        try:
            ready = read_frame(self.resp_fd, deadline)
        except WorkerTimeout:
            self.kill()
            raise WorkerNotStarted("did not start in time") from None
        except (WorkerCrashed, OSError):
            self.kill()
            raise WorkerNotStarted("ended before it could run any code", cause=self.boot_error()) from None
        if ready != READY:
            self.kill()
            raise WorkerNotStarted("did not say it was ready")
        self.started = True

    def boot_error(self) -> str:
        """The last line the worker's boot wrote to stderr (its exception), before any student code ran."""
        _, err, _ = self.output()
        lines = [line.strip() for line in err.splitlines() if line.strip()]
        return lines[-1][:300] if lines else ""

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return self.exit_code(wait=0.0 if self.popen is None else 0.5) is None

    def exit_code(self, wait: float = 0.5) -> int | None:
        """The exit status once the process has ended (waiting up to `wait` seconds), else None."""
        if self.popen is None:
            return self.reap(wait) if self.reap is not None else None
        try:
            return self.popen.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """Kill the whole process group, and every process in the worker's cage (setsid escapees too)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.cage.kill_all()
        if self.popen is not None:
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def disk_full(self) -> bool:
        """Did the worker fill its home's tmpfs (`grader.sandbox.disk`)? Asked of the zygote where only it sees it."""
        from grader.sandbox.confine import home_full

        return home_full(self.folder) or (self.home_check is not None and self.home_check())

    def output(self) -> tuple[str, str, bool]:
        """Student stdout and stderr, capped; True when either was cut."""
        out, cut_out = _read_capped(self.folder / "stdout.txt", self.limits.output_bytes)
        err, cut_err = _read_capped(self.folder / "stderr.txt", self.limits.output_bytes)
        return out, _TF_LOG.sub("", err), cut_out or cut_err

    def close(self) -> None:
        """Stop the worker (killed, not asked: a request into a full pipe would wait for a worker that does not
        read, and its output is flushed after every reply); its folder stays for the next process of the same
        submission."""
        self.kill()
        if self.cage.out_of_memory():
            self.flags.add("memory-limit")
        if self.disk_full():
            self.flags.add("disk-limit")
        self.cage.close()
        for fd in (self.req_fd, self.resp_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def _open_in_folder(path: Path, flags: int) -> int:
    """Open `path` (a file directly in a sandbox folder) following no symlink, neither the file nor the folder.

    Where `open` cannot do that (Windows: no O_NOFOLLOW, no dir_fd) the worker runs as the student
    anyway (`grader.sandbox.plain`), and the file is opened as it is."""
    if not hasattr(os, "O_DIRECTORY") or os.open not in os.supports_dir_fd:
        return os.open(path, flags | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0))
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        return os.open(path.name, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    finally:
        os.close(folder)


def _read_capped(path: Path, cap: int) -> tuple[str, bool]:
    """Read at most `cap` bytes; never through a symlink the worker may have planted, never from a FIFO."""
    try:
        fd = _open_in_folder(path, os.O_RDONLY)
    except OSError:
        return "", False
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "", False
        data = handle.read(cap + 1)
    return data[:cap].decode("utf-8", errors="replace"), len(data) > cap


def make_folder(disk_mb: int = 0) -> Path:
    """A fresh sandbox folder: the judge's files, and `home/`, the worker's cwd and HOME.

    The folder and the capture files are the judge's (read-only to the worker); when the grader
    runs as root, `home/` belongs to a uid of this submission's own, the one its workers run as,
    and with `disk_mb` it is a tmpfs of that size (`grader.sandbox.disk`). Remove it with
    `grader.sandbox.disk.release`."""
    from grader.sandbox import disk, host
    from grader.sandbox.isolation import judge_mounts_homes, sandbox_base, switches_uid
    from grader.sandbox.privileges import submission_uid

    folder = Path(tempfile.mkdtemp(prefix=disk.folder_prefix(), dir=sandbox_base()))
    (folder / "home" / "tmp").mkdir(parents=True)
    for name in ("stdout.txt", "stderr.txt"):
        (folder / name).touch(mode=0o600)
    uid = submission_uid() if switches_uid() else os.geteuid() if host.is_root() else -1
    if uid > 0:
        for part in (folder / "home", folder / "home" / "tmp"):
            os.chown(part, uid, uid)
    if disk_mb > 0 and judge_mounts_homes():
        disk.mount_home(folder, uid, disk_mb)
    # the worker writes only in home/: it cannot swap the capture files (not root: the judge needs the
    # w bit to remove the folder; there the worker's read-only view of its folder is what protects them)
    folder.chmod(0o555 if host.is_root() else 0o755)
    return folder


def open_captures(folder: Path) -> tuple[int, int]:
    """The judge's descriptors on the capture files made by `make_folder` (stdout, stderr)."""
    out = _open_capture(folder, "stdout.txt")
    try:
        return out, _open_capture(folder, "stderr.txt")
    except OSError:
        os.close(out)
        raise


def _open_capture(folder: Path, name: str) -> int:
    """Never through a symlink, never a FIFO or device: a plain file, or OSError."""
    fd = _open_in_folder(folder / name, os.O_WRONLY | os.O_APPEND)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{name} in the sandbox folder is not a plain file")
    os.set_blocking(fd, True)
    return fd


def start_cold(folder: Path, limits: WorkerLimits, *, runtime: Runtime = Runtime(),
               hide: tuple[str, ...] = (), show: tuple[str, ...] = ()) -> Worker:
    """Start a worker with a fresh Python (pays TensorFlow's import) in `folder`."""
    from grader.sandbox.isolation import json_sandbox, sandbox_base, worker_sandbox, wrap_command

    work = folder / "home"
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    env = worker_env(work, runtime)
    out, err = open_captures(folder)
    shown = [Path(s) for s in show]
    command = [sys.executable, "-I", "-c", _BOOT, str(req_r), str(resp_w), json.dumps(asdict(limits)),
               json_sandbox(worker_sandbox(shown)), str(sandbox_base())]
    try:
        with wrap_command(command, hide=[Path(h) for h in hide], show=shown) as wrapped:
            popen = subprocess.Popen(wrapped.argv, pass_fds=(req_r, resp_w, *wrapped.fds), cwd=work, env=env,
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
    finally:
        for fd in (out, err, req_r, resp_w):
            os.close(fd)
    return Worker(pid=popen.pid, req_fd=req_w, resp_fd=resp_r, folder=folder, limits=limits, popen=popen)


# -I ignores PYTHONPATH, so the boot line puts the grader's parent on sys.path itself.
_BOOT = (
    "import sys; sys.path.insert(0, %r)\n"
    "from grader.sandbox.confine import apply_limits, enter_worker_sandbox, guard_sockets, sandbox_from_json\n"
    "from grader.sandbox.confine import WorkerLimits\n"
    "import json; apply_limits(WorkerLimits(**json.loads(sys.argv[3])))\n"
    "from pathlib import Path\n"
    "sandbox = sandbox_from_json(sys.argv[4])\n"
    "guard_sockets() if not sandbox.namespaced else None\n"
    "enter_worker_sandbox(Path.cwd().parent, Path(sys.argv[5]), sandbox)\n"
    "sys.path.pop(0)\n"
    "from grader.worker.serve import serve\n"
    "serve(int(sys.argv[1]), int(sys.argv[2]))\n"
) % PACKAGE_PARENT
