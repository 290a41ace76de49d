"""grader.sandbox.plain: a spawned worker whose only hard limit is the judge's clock, and its pipes.

These run on Linux the worker that macOS and Windows get (`tests/test_platforms.py` runs it with
the POSIX-only parts removed).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from grader.errors import WorkerNotStarted, WorkerTimeout
from grader.sandbox import plain
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.plain import plain_env, start_plain
from grader.sandbox.workers import make_folder

PROBES = '''
import os, subprocess, sys, time

def nap(sub):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open("child.pid", "w") as handle:
        handle.write(str(child.pid))
    time.sleep(600)

def shout(sub):
    print("from a probe")
    return sub.answer
'''
NOISY = '''
import os, sys
print("hello from the student")
os.write(1, b"GRD1 not a frame")  # fd 1 is the capture file by now, not the judge's pipe
sys.stderr.write("to stderr\\n")
stdin = sys.stdin.read()  # the null device; were it the judge's request pipe, this would hang the load
answer = 42
'''


def probes_file(folder: Path) -> str:
    path = folder / "probes.py"
    path.write_text(PROBES)
    return str(path)


def test_prints_and_raw_writes_go_to_the_captures_never_into_the_replies():
    folder = make_folder()
    worker = start_plain(folder, WorkerLimits())
    try:
        load = worker.request({"op": "load", "code": NOISY, "probes": probes_file(folder), "names": ["answer"],
                               "seed": 0}, 120)
        assert load["ok"] and load["value"]["defined"] == ["answer"], load
        assert worker.request({"op": "call", "probe": "shout", "kwargs": {}, "seed": 1}, 60) == {"ok": True, "value": 42}
        out, err, _ = worker.output()
        assert {"hello from the student", "GRD1 not a frame", "from a probe"} <= set(_pieces(out))
        assert "to stderr" in err
    finally:
        worker.close()
    assert not worker.alive()


def _pieces(text: str) -> list[str]:
    """Output pieces, whatever order Python's buffered prints and a raw write landed in."""
    return [piece for line in text.splitlines() for piece in line.split("GRD1 not a frame") if piece] + (
        ["GRD1 not a frame"] if "GRD1 not a frame" in text else [])


def test_a_request_past_its_time_is_killed_with_what_it_started():
    folder = make_folder()
    worker = start_plain(folder, WorkerLimits())
    try:
        assert worker.request({"op": "load", "code": "x = 1\n", "probes": probes_file(folder), "names": ["x"],
                               "seed": 0}, 120)["ok"]
        started = time.monotonic()
        with pytest.raises(WorkerTimeout):
            worker.request({"op": "call", "probe": "nap", "kwargs": {}, "seed": 1}, 3)
        assert time.monotonic() - started < 60  # the judge's clock, not the probe's ten minutes
        assert not worker.alive() and "timeout" in worker.flags
        child = int((folder / "home" / "child.pid").read_text())
        for _ in range(100):  # killed with its process group; reaped by init
            if not Path(f"/proc/{child}").exists() or "Z" in _state(child):
                break
            time.sleep(0.05)
        assert not Path(f"/proc/{child}").exists() or "Z" in _state(child)
    finally:
        worker.close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_a_worker_that_ends_before_it_is_ready_is_the_graders_failure_with_its_cause(monkeypatch):
    monkeypatch.setattr(plain, "_BOOT", "raise OSError('cannot apply the limits here')")
    worker = start_plain(make_folder(), WorkerLimits())
    with pytest.raises(WorkerNotStarted) as caught:
        worker.request({"op": "load", "code": "x = 1\n", "probes": "", "names": [], "seed": 0}, 60)
    assert caught.value.cause == "OSError: cannot apply the limits here"
    assert not worker.started and not worker.alive()
    worker.close()


def test_the_environment_is_scrubbed_and_says_where_home_is(monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    env = plain_env(tmp_path)
    assert "GITHUB_TOKEN" not in env and env["HOME"] == str(tmp_path)
    assert env["TMPDIR"] == str(tmp_path / "tmp") and os.pathsep in env["PATH"]
