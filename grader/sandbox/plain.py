"""The plain worker: one spawned Python process per worker, where the Linux cage is not available.

macOS and Windows laptops have no namespaces, no cgroups, no `prctl`, and Windows has no
`fork` or rlimits either. There a worker is a fresh `python -I` process with what the
platform does have: rlimits on file size and open files where `resource` exists (macOS), the
socket guard, its own folder as cwd and HOME, a scrubbed environment, and always the judge's
wall clock (a request that does not answer in time gets the process killed). Nothing keeps
the code from the user's own files: on a student's machine it is their own code, as them,
and the report says so (`grader.sandbox.backend`, mode "none").

Requests and replies go over the worker's stdin and stdout, the pipes every platform can hand
a child; before any student code runs the worker moves them aside and points fd 0 at the null
device and fd 1 at its capture file. The judge waits for replies in a thread (Windows cannot
`select` on a pipe).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from grader.errors import WorkerNotStarted, WorkerTimeout
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.workers import PACKAGE_PARENT, Runtime, Worker, open_captures, worker_env

# Variables Windows itself needs in a child (sockets, the DLL loader, temp files); absent elsewhere.
WINDOWS_ENV = ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "PROCESSOR_ARCHITECTURE")


class PlainWorker(Worker):
    """A spawned worker: the judge's wall clock is its only hard limit."""

    def _exchange(self, message: dict[str, Any], deadline: float) -> dict[str, Any]:
        """The base exchange without a deadline, in a thread the judge stops waiting for in time."""
        outcome: dict[str, Any] = {}

        def exchange() -> None:
            try:
                outcome["reply"] = Worker._exchange(self, message, None)
            except BaseException as exc:  # noqa: BLE001 - handed to the judge's thread below
                outcome["error"] = exc

        thread = threading.Thread(target=exchange, daemon=True)
        thread.start()
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():  # killing the process ends the thread's read (end of file)
            if not self.started:
                self.kill()
                raise WorkerNotStarted("did not start in time")
            raise WorkerTimeout("no answer before the time limit")
        if "error" in outcome:
            raise outcome["error"]
        return dict(outcome["reply"])

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """The worker and what it started: its process group (POSIX) or its process tree (Windows)."""
        if self.popen is None:
            return
        if os.name == "nt":
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(self.pid)], capture_output=True, check=False)
        elif hasattr(os, "killpg"):
            try:
                os.killpg(self.pid, 9)  # SIGKILL
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.popen.kill()
            self.popen.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass


def plain_env(home: Path, runtime: Runtime = Runtime()) -> dict[str, str]:
    """The worker's scrubbed environment, plus what the platform's own libraries need to start."""
    env = worker_env(home, runtime)
    if os.name == "nt":
        env.update({name: os.environ[name] for name in WINDOWS_ENV if name in os.environ})
        env.update(TEMP=env["TMPDIR"], TMP=env["TMPDIR"], USERPROFILE=str(home),
                   PATH=os.pathsep.join(str(Path(root) / sub) for root in [os.environ.get("SYSTEMROOT", "")]
                                        if root for sub in ("System32", ".")))
    return env


def start_plain(folder: Path, limits: WorkerLimits, *, runtime: Runtime = Runtime()) -> PlainWorker:
    """Spawn a worker (it pays TensorFlow's import) whose cwd and HOME is `folder/home`."""
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    out, err = open_captures(folder)
    os.close(out)  # the worker opens its stdout capture itself: fd 1 is the reply pipe until it does
    detach: dict[str, Any] = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt"
                              else {"start_new_session": True})
    try:
        popen = subprocess.Popen([sys.executable, "-I", "-c", _BOOT, json.dumps(asdict(limits))], cwd=folder / "home",
                                 env=plain_env(folder / "home", runtime), stdin=req_r, stdout=resp_w, stderr=err,
                                 **detach)
    except OSError:
        for fd in (req_w, resp_r):
            os.close(fd)
        raise
    finally:
        for fd in (req_r, resp_w, err):
            os.close(fd)
    return PlainWorker(pid=popen.pid, req_fd=req_w, resp_fd=resp_r, folder=folder, limits=limits, popen=popen)


# -I ignores PYTHONPATH, so the boot line puts the grader's parent on sys.path itself.
_BOOT = (
    "import os, sys\n"
    "sys.path.insert(0, %r)\n"
    "req, resp = os.dup(0), os.dup(1)\n"
    "if os.name == 'nt':\n"
    "    import msvcrt; msvcrt.setmode(req, os.O_BINARY); msvcrt.setmode(resp, os.O_BINARY)\n"
    "null = os.open(os.devnull, os.O_RDONLY); os.dup2(null, 0); os.close(null)\n"
    "out = os.open(os.path.join(os.pardir, 'stdout.txt'), os.O_WRONLY | os.O_APPEND | getattr(os, 'O_BINARY', 0))\n"
    "os.dup2(out, 1); os.close(out)\n"
    "from grader.sandbox.confine import apply_limits, guard_sockets, WorkerLimits\n"
    "import json; apply_limits(WorkerLimits(**json.loads(sys.argv[1])))\n"
    "guard_sockets()\n"
    "sys.path.pop(0)\n"
    "from grader.worker.serve import serve\n"
    "serve(req, resp)\n"
) % PACKAGE_PARENT
