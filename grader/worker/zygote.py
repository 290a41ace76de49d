"""The zygote process: it has imported TensorFlow, but run no op, and forks one worker per request.

TensorFlow's import costs seconds; a fork costs milliseconds. Forking is only
safe while the parent has a single thread and no TensorFlow runtime (thread
pools start with the first op), so the zygote checks `/proc/self/task` after
its imports and refuses to serve otherwise; the judge then falls back to cold
starts. Each forked worker starts from the same pristine state, so nothing one
submission does is visible to the next.

The judge talks to its zygote over a private socketpair (no path on disk a
worker could find), and the zygote exits when its judge does. The zygote reaps
its workers and tells the judge how each ended when asked (`{"status": pid}`):
a worker its tripwire stopped ends with `TAMPER_STATUS`, which nothing the
worker writes can hide. Each judge
process has at most one zygote (`process_zygote`), restarted when it has died.
The zygote ignores every signal it can (a worker's SIGINT must not stop it) and
is not dumpable (no worker may ptrace it); every wait on it is bounded, and a
submission whose worker had to be started cold is flagged `cold-start`.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from grader.sandbox.confine import WorkerLimits, home_full, prepare_home, settle_zygote

PR_SET_DUMPABLE = 4
# Signals the zygote ignores (SIGKILL and SIGSTOP cannot be; a dead or stopped zygote is replaced).
IGNORED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTSTP", "SIGTTIN",
           "SIGTTOU", "SIGVTALRM", "SIGPROF", "SIGXCPU", "SIGWINCH", "SIGURG", "SIGIO")


def thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1


def zygote_main(channel_fd: int, namespaced: bool = False) -> None:
    """Run in the zygote process: import, check fork safety, then fork on every request."""
    import signal

    import keras  # noqa: F401 - imported so forks inherit it
    import numpy  # noqa: F401
    import tensorflow  # noqa: F401

    import grader.worker.serve  # noqa: F401

    channel = socket.socket(fileno=channel_fd)
    threads = thread_count()
    if threads != 1:
        channel.sendall(json.dumps({"ready": False, "reason": f"{threads} threads after import"}).encode())
        return
    _shield()
    if namespaced:
        try:
            settle_zygote()
        except OSError:
            pass  # each worker makes /proc's read-only paths so itself; a home tmpfs may then be refused
    channel.sendall(json.dumps({"ready": True, "pid": os.getpid()}).encode())
    children = Children()
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(channel, 65536, 4)
        except OSError:
            os._exit(0)
        if not data:
            os._exit(0)  # the judge is gone
        request = json.loads(data)
        children.reap()
        if "home_full" in request:  # the judge asks how full a home this zygote mounted is
            channel.sendall(json.dumps({"full": home_full(Path(request["home_full"]))}).encode())
        elif "status" in request:
            channel.sendall(json.dumps({"status": children.status(int(request["status"]),
                                                                  float(request.get("wait", 0)))}).encode())
        else:
            pid = _fork_one(channel, request, fds)
            if pid is not None:
                children.forked(pid)


class Children:
    """The workers this zygote forked, reaped on every request; exit statuses kept until the judge asks."""

    KEEP = 512

    def __init__(self) -> None:
        self.running: set[int] = set()
        self.ended: dict[int, int] = {}

    def forked(self, pid: int) -> None:
        self.running.add(pid)

    def reap(self) -> None:
        """Collect every ended child (orphans the namespace's init inherits too, whose status nobody wants)."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.running:
                self.running.discard(pid)
                self.ended[pid] = os.waitstatus_to_exitcode(status)
                while len(self.ended) > self.KEEP:
                    self.ended.pop(next(iter(self.ended)))

    def status(self, pid: int, wait: float) -> int | None:
        """How `pid` ended, waiting up to `wait` seconds for it to end; None while it runs (or if unknown)."""
        deadline = time.monotonic() + min(max(wait, 0.0), 5.0)
        while True:
            self.reap()
            if pid in self.ended or pid not in self.running or time.monotonic() >= deadline:
                return self.ended.get(pid)
            time.sleep(0.02)


def _shield() -> None:
    """The zygote ignores what signals it can, and no worker may ptrace it."""
    import ctypes
    import signal

    for name in IGNORED:
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def _unshield() -> None:
    """In a forked worker: the default signal dispositions (Ctrl-C is KeyboardInterrupt again)."""
    import signal

    for name in IGNORED:
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _fork_one(channel: socket.socket, request: dict[str, Any], fds: list[int]) -> int | None:
    try:  # the submission's home: a size-limited tmpfs in this zygote's namespace, kept for its next workers
        prepare_home(Path(request["cwd"]).parent, int(request.get("home_mb", 0)))
    except OSError as exc:  # fail closed: no worker with an unbounded home (the judge starts one cold)
        for fd in fds:
            os.close(fd)
        channel.sendall(json.dumps({"error": f"home: {exc}"}).encode())
        return None
    pid = os.fork()
    if pid == 0:
        channel.close()
        _become_worker(request, fds)
    for fd in fds:
        os.close(fd)
    channel.sendall(json.dumps({"pid": pid}).encode())
    return pid


def _become_worker(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: new session, own files, own env, limits, no privileges; then serve."""
    import signal

    from grader.sandbox.confine import apply_limits, enter_worker_sandbox, guard_sockets, sandbox_from_json
    from grader.worker.serve import serve

    try:
        os.setsid()
        _unshield()
        req_fd, resp_fd, out_fd, err_fd = fds
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.close(out_fd)
        os.close(err_fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        apply_limits(WorkerLimits(**request["limits"]))
        sandbox = sandbox_from_json(json.dumps(request["sandbox"]))
        if not sandbox.namespaced:
            guard_sockets()
        enter_worker_sandbox(Path(request["cwd"]).parent, Path(request["base"]), sandbox)
    except BaseException as exc:  # noqa: BLE001 - boot failed: say why where the judge looks (Worker.boot_error)
        os.write(2, f"{type(exc).__name__}: {exc}\n".encode(errors="replace"))
        os._exit(70)
    try:
        serve(req_fd, resp_fd)
    finally:
        os._exit(0)
