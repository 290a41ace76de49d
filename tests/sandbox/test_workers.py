"""The worker's environment and limits."""
from __future__ import annotations

import os
from pathlib import Path

from grader.sandbox.confine import WorkerLimits
from grader.sandbox.workers import make_folder, start_cold, worker_env

# a probes file workers can see (tests/ is not bound into their root)
PROBES = str(Path(__file__).resolve().parents[2] / "assignments" / "concat" / "probes.py")


def test_worker_env_is_scrubbed(monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    monkeypatch.setenv("GRADER_COURSE", "/somewhere")
    env = worker_env(tmp_path)
    assert "GITHUB_TOKEN" not in env and "GRADER_COURSE" not in env
    assert env["HOME"] == str(tmp_path) and env["CUDA_VISIBLE_DEVICES"] == "-1"
    assert not any("solutions" in v for v in env.values())


def test_cold_worker_runs_with_limits_and_is_killed(tmp_path):
    folder = make_folder()
    worker = start_cold(folder, WorkerLimits(file_mb=1))
    code = ("import resource, os\nfsize = resource.getrlimit(resource.RLIMIT_FSIZE)[0]\ncwd = os.getcwd()\n"
            "try:\n    open('big', 'wb').write(b'x' * 3_000_000)\n    wrote = True\nexcept OSError:\n"
            "    wrote = False\n")
    reply = worker.request({"op": "load", "code": code, "probes": PROBES, "names": [], "seed": 0}, 120)
    assert reply["ok"]
    assert Path(folder / "home" / "big").stat().st_size <= 1024 * 1024
    worker.kill()
    assert not worker.alive()
    worker.close()
    assert os.path.isdir(folder)


def test_closing_a_worker_whose_request_pipe_is_full_kills_it_and_never_writes(tmp_path):
    """A worker that stopped reading with its pipe full: closing it must neither block nor write into the pipe."""
    import subprocess
    import threading

    from grader.sandbox.workers import Worker

    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    stuck = subprocess.Popen(["sleep", "600"], pass_fds=(req_r, resp_w), start_new_session=True)
    os.close(resp_w)
    os.set_blocking(req_w, False)
    try:
        while True:
            os.write(req_w, b"x" * 65536)
    except BlockingIOError:
        pass
    os.set_blocking(req_w, True)  # as the judge's descriptor was before any write with a deadline
    worker = Worker(pid=stuck.pid, req_fd=req_w, resp_fd=resp_r, folder=tmp_path, limits=WorkerLimits(), popen=stuck)
    closing = threading.Thread(target=worker.close, daemon=True)
    closing.start()
    closing.join(60)
    try:
        assert not closing.is_alive(), "closing the worker blocked on its full pipe"
        assert stuck.poll() is not None  # killed
    finally:
        stuck.kill()
        os.close(req_r)
