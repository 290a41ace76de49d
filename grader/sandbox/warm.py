"""Warm workers, seen from the judge: its handle on a zygote, which forks one worker per request.

The zygote itself (`grader.worker.zygote`) has imported TensorFlow but run no op; a fork
costs milliseconds where an import costs seconds. The judge talks to its zygote over a
private socketpair (no path on disk a worker could find), and the zygote exits when its
judge does. Each judge process has at most one zygote per kind (`process_zygote`),
restarted when it has died. Every wait on it is bounded, and a submission whose worker had
to be started cold is flagged `cold-start`.
"""
from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from grader.sandbox.confine import WorkerLimits
from grader.sandbox.workers import PACKAGE_PARENT, Runtime, Worker, open_captures, worker_env

_PROCESS_ZYGOTES: dict[tuple[Runtime, tuple[str, ...]], Zygote] = {}  # one per judge process and kind
READY_S = 120.0  # TensorFlow's import, on a loaded machine
FORK_S = 10.0  # one fork and its reply


class Zygote:
    """The judge's handle on a running zygote; `start()` forks a worker from it."""

    def __init__(self, *, runtime: Runtime = Runtime(), hide: tuple[str, ...] = (),
                 show: tuple[str, ...] = ()) -> None:
        from grader.sandbox.isolation import (
            ISSUE14,
            PREVIOUS,
            current_isolation,
            sandbox_base,
            worker_sandbox,
            wrap_command,
        )

        self.runtime = runtime
        self.isolation = current_isolation()
        self._channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = worker_env(sandbox_base(), runtime)
        env["PYTHONPATH"] = PACKAGE_PARENT
        namespaced = self.isolation.mode != "none"
        command = [sys.executable, "-c", "from grader.worker.zygote import zygote_main; "
                   f"zygote_main({theirs.fileno()}, {namespaced})"]
        shown = [Path(s) for s in show]
        with wrap_command(command, hide=[Path(h) for h in hide], show=shown) as wrapped:
            self._process = subprocess.Popen(
                wrapped.argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(), *wrapped.fds), cwd=sandbox_base(),
                start_new_session=True,
            )
        theirs.close()
        self._sandbox = asdict(worker_sandbox(shown))
        # the zygote caps each submission's home unless the judge's own tmpfs shows there already (it mounts one
        # when root, `grader.sandbox.disk`), and answers how full it is: it sees what its workers write to
        self._zygote_homes = self.isolation.mode != "none" and not (ISSUE14 or PREVIOUS)
        self._base = str(sandbox_base())
        self._status: dict[str, Any] | None = None  # read lazily: the import overlaps the judge's own work
        self._zygote_pid: int | None = None

    @property
    def ready(self) -> bool:
        """Wait for the zygote's imports; True when it is serving forks."""
        if self._status is None:
            try:
                self._channel.settimeout(READY_S)
                self._status = json.loads(self._channel.recv(4096) or b"{}")
            except (OSError, ValueError):
                self._status = {}
            if not self._status.get("ready") and "reason" not in self._status:
                self.stop()  # silent or stuck: the next submission starts a fresh one
        return bool(self._status.get("ready"))

    @property
    def reason(self) -> str:
        return "" if self.ready else str((self._status or {}).get("reason", "the zygote did not start"))

    def start(self, folder: Path, limits: WorkerLimits) -> Worker:
        """Fork a worker whose cwd and HOME is `folder/home` (raises OSError if the zygote is not serving)."""
        if not self.ready:
            raise OSError(f"no warm workers: {self.reason}")
        work = folder / "home"
        out, err = open_captures(folder)
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        request = {"cwd": str(work), "env": worker_env(work, self.runtime), "limits": asdict(limits),
                   "sandbox": self._sandbox, "base": self._base,
                   "home_mb": limits.disk_mb if self._zygote_homes else 0}
        try:
            self._channel.settimeout(FORK_S)
            socket.send_fds(self._channel, [json.dumps(request).encode()], [req_r, resp_w, out, err])
            reply = json.loads(self._channel.recv(4096) or b"{}")
        except (OSError, ValueError):
            reply = {}
        finally:
            for fd in (req_r, resp_w, out, err):
                os.close(fd)
        if "pid" not in reply:
            self.stop()  # stuck, stopped or dead: the next submission gets a fresh one
            for fd in (req_w, resp_r):
                os.close(fd)
            raise OSError("the zygote did not fork a worker")
        ns_pid = int(reply["pid"])
        pid = self._global_pid(ns_pid)
        check = (lambda: self.home_full(folder)) if self._zygote_homes else None
        return Worker(pid=pid, req_fd=req_w, resp_fd=resp_r, folder=folder, limits=limits, home_check=check,
                      reap=lambda wait: self.exit_status(ns_pid, wait))

    def home_full(self, folder: Path) -> bool:
        """Is the home tmpfs `folder`'s workers write to full, as this zygote sees it (the judge may not)?"""
        try:
            self._channel.settimeout(FORK_S)
            self._channel.sendall(json.dumps({"home_full": str(folder)}).encode())
            return bool(json.loads(self._channel.recv(4096) or b"{}").get("full"))
        except (OSError, ValueError):
            return False

    def exit_status(self, ns_pid: int, wait: float = 0.0) -> int | None:
        """How a worker forked from this zygote ended (its exit status), or None while it runs or if unknown."""
        try:
            self._channel.settimeout(FORK_S)
            self._channel.sendall(json.dumps({"status": ns_pid, "wait": wait}).encode())
            status = json.loads(self._channel.recv(4096) or b"{}").get("status")
        except (OSError, ValueError, AttributeError):
            return None
        return status if type(status) is int else None

    @property
    def pid(self) -> int | None:
        """The zygote's own process, as the judge sees it (None when it cannot be found)."""
        if self.isolation.network != "namespace":
            return self._process.pid
        if self._zygote_pid is None:
            self._zygote_pid = _child_with_ns_pid(self._process.pid, 1)
        return self._zygote_pid

    def _global_pid(self, ns_pid: int) -> int:
        """The zygote runs in its own PID namespace: map its child's pid to ours."""
        if self.isolation.network != "namespace":
            return ns_pid
        if self.pid is None:
            raise OSError("cannot find the zygote's process")
        pid = _child_with_ns_pid(self.pid, ns_pid)
        if pid is None:
            raise OSError("cannot find the forked worker's process")
        return pid

    @property
    def alive(self) -> bool:
        """False once the zygote (or the namespace holding it) has ended or was stopped."""
        if self._status is not None and "reason" in self._status:
            return True  # it refused to serve (not fork-safe here): a restart would refuse again
        return self._channel.fileno() >= 0 and self._process.poll() is None

    def stop(self) -> None:
        self._channel.close()  # the zygote exits on EOF
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def process_zygote(*, runtime: Runtime = Runtime(), hide: tuple[str, ...] = (),
                   show: tuple[str, ...] = ()) -> Zygote:
    """This process's zygote for `runtime`, `hide` and `show` (started on first use, stopped at exit)."""
    key = (runtime, hide, show)
    if key in _PROCESS_ZYGOTES and not _PROCESS_ZYGOTES[key].alive:
        _PROCESS_ZYGOTES.pop(key).stop()  # died (killed, or stuck and stopped): start a fresh one
    if key not in _PROCESS_ZYGOTES:
        _PROCESS_ZYGOTES[key] = Zygote(runtime=runtime, hide=hide, show=show)
        atexit.register(_PROCESS_ZYGOTES[key].stop)
    return _PROCESS_ZYGOTES[key]


def _child_with_ns_pid(parent: int, ns_pid: int) -> int | None:
    """Among `parent`'s children (global pids), the one whose pid in its own namespace is `ns_pid`."""
    try:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    except OSError:
        return None
    for child in children:
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("NSpid:") and line.split()[-1] == str(ns_pid):
                return int(child)
    return None
