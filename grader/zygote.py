"""Warm workers: a parent that has imported TensorFlow, but run no op, forks one worker per request.

TensorFlow's import costs seconds; a fork costs milliseconds. Forking is only
safe while the parent has a single thread and no TensorFlow runtime (thread
pools start with the first op), so the zygote checks `/proc/self/task` after
its imports and refuses to serve otherwise; the judge then falls back to cold
starts. Each forked worker starts from the same pristine state, so nothing one
submission does is visible to the next.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from grader.sandbox import PACKAGE_PARENT, Worker, WorkerLimits, worker_env

if TYPE_CHECKING:
    from grader.grading import Plan


def thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1


def zygote_main(socket_path: str) -> None:
    """Run in the zygote process: import, check fork safety, then fork on every request."""
    import signal

    import keras  # noqa: F401 - imported so forks inherit it
    import numpy  # noqa: F401
    import tensorflow  # noqa: F401

    import grader.worker  # noqa: F401

    threads = thread_count()
    if threads != 1:
        print(json.dumps({"ready": False, "reason": f"{threads} threads after importing TensorFlow"}), flush=True)
        return
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked workers are reaped automatically
    print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
    while True:
        connection, _ = server.accept()
        with connection:
            _serve_one(server, connection)


def _serve_one(server: socket.socket, connection: socket.socket) -> None:
    try:
        data, fds, _, _ = socket.recv_fds(connection, 65536, 4)
        request = json.loads(data)
    except (OSError, ValueError):
        return
    if request.get("op") == "stop":
        os._exit(0)
    pid = os.fork()
    if pid == 0:
        server.close()
        connection.close()
        _become_worker(request, fds)
    for fd in fds:
        os.close(fd)
    connection.sendall(json.dumps({"pid": pid}).encode())


def _become_worker(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: new session, own files, own env, limits; then serve the judge."""
    import signal

    from grader.sandbox import apply_limits
    from grader.worker import serve

    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        req_fd, resp_fd, out_fd, err_fd = fds
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.close(out_fd)
        os.close(err_fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        apply_limits(WorkerLimits(**request["limits"]))
        serve(req_fd, resp_fd)
    finally:
        os._exit(0)


class Zygote:
    """The judge's handle on a running zygote; call `start()` to get a forked worker."""

    def __init__(self, *, gpu: bool = False) -> None:
        self.gpu = gpu
        self._dir = tempfile.mkdtemp(prefix="grader-zygote-")
        self.socket_path = os.path.join(self._dir, "fork.sock")
        env = worker_env(Path(self._dir), gpu=gpu)
        env["PYTHONPATH"] = PACKAGE_PARENT
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"from grader.zygote import zygote_main; zygote_main({self.socket_path!r})"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=self._dir, start_new_session=True,
        )
        self._status: dict[str, Any] | None = None  # read lazily: the import overlaps the judge's own work

    @property
    def ready(self) -> bool:
        """Wait for the zygote's imports; True when it is serving forks."""
        if self._status is None:
            line = self._process.stdout.readline() if self._process.stdout else b""
            try:
                self._status = json.loads(line or b"{}")
            except ValueError:
                self._status = {}
        return bool(self._status.get("ready"))

    @property
    def reason(self) -> str:
        return "" if self.ready else str((self._status or {}).get("reason", "the zygote did not start"))

    def start(self, folder: Path, limits: WorkerLimits) -> Worker:
        """Fork a worker whose cwd and HOME is `folder/home`."""
        return fork_worker(self.socket_path, folder, limits, gpu=self.gpu)

    def stop(self) -> None:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(5)
                client.connect(self.socket_path)
                socket.send_fds(client, [b'{"op": "stop"}'], [])
        except OSError:
            pass
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def fork_worker(socket_path: str, folder: Path, limits: WorkerLimits, *, gpu: bool = False) -> Worker:
    """Ask the zygote at `socket_path` for a worker whose cwd and HOME is `folder/home`."""
    work = folder / "home"
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    out = os.open(folder / "stdout.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    err = os.open(folder / "stderr.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    request = {"op": "fork", "cwd": str(work), "env": worker_env(work, gpu=gpu), "limits": asdict(limits)}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(30)
            _connect(client, socket_path)
            socket.send_fds(client, [json.dumps(request).encode()], [req_r, resp_w, out, err])
            reply = json.loads(client.recv(4096) or b"{}")
    finally:
        for fd in (req_r, resp_w, out, err):
            os.close(fd)
    return Worker(pid=int(reply["pid"]), req_fd=req_w, resp_fd=resp_r, folder=folder, limits=limits)


@contextlib.contextmanager
def warm_plan(plan: Plan) -> Iterator[Plan]:
    """`plan` with a running zygote behind it (or unchanged, cold, where forking is not safe)."""
    if not plan.warm or plan.zygote_socket:
        yield plan
        return
    zygote = Zygote()  # starts importing TensorFlow now; forks wait for it (or fall back to cold starts)
    try:
        yield dataclasses.replace(plan, zygote_socket=zygote.socket_path)
    finally:
        zygote.stop()


def _connect(client: socket.socket, socket_path: str, wait_s: float = 120.0) -> None:
    """Connect, waiting while the zygote is still importing TensorFlow."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            client.connect(socket_path)
            return
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
