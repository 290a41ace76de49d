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
