"""grader.cage: a cgroup per worker kills escapees, reports OOM kills, caps process counts; a fallback elsewhere."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import grader.sandbox.cage as cage_module
from grader.sandbox.cage import Cage, make_cage


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _caged(cage: Cage, script: str) -> subprocess.Popen[str]:
    """Start `script` in Python, put it in `cage`, then let it run (it waits for a line on stdin)."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline()\n" + script],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)
    cage.add(proc.pid)
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()
    return proc


@pytest.fixture
def cage():
    made = make_cage(256, 64)
    yield made
    made.close()


def cgroups_writable() -> bool:
    probe = make_cage(64, 8)
    probe.close()
    return probe.mode == "cgroup"


def test_a_cage_kills_a_setsid_escapee(cage):
    proc = _caged(cage, "import os, time\n"
                        "if os.fork() == 0:\n"
                        "    os.setsid()\n"
                        "    if os.fork() == 0:\n"
                        "        print(os.getpid(), flush=True); time.sleep(600)\n"
                        "    os._exit(0)\n"
                        "time.sleep(600)\n")
    assert proc.stdout is not None
    escapee = int(proc.stdout.readline())
    assert os.getpgid(escapee) != proc.pid  # out of the worker's process group
    try:
        cage.kill_all()
        deadline = time.monotonic() + 5
        while _alive(escapee) and time.monotonic() < deadline:
            time.sleep(0.05)
        if cage.mode == "cgroup":
            assert not _alive(escapee)
        else:  # the fallback only knows the process group, and says so
            assert cage.mode == "process-group"
    finally:
        if _alive(escapee):
            os.kill(escapee, 9)
        proc.wait(timeout=10)


def test_running_out_of_memory_is_reported():
    cage = make_cage(128, 64)
    try:
        proc = _caged(cage, "hog = []\n"
                            "for _ in range(40):\n"
                            "    hog.append(bytearray(64 << 20)); hog[-1][::4096] = b'x' * len(range(0, 64 << 20, 4096))\n"
                            "print('survived', flush=True)\n")
        out, _ = proc.communicate(timeout=60)
        if cage.mode == "cgroup":
            assert proc.returncode == -9 and "survived" not in out
            assert cage.out_of_memory()
        else:
            assert not cage.out_of_memory()
    finally:
        cage.close()


def test_a_fork_loop_stops_at_the_pids_limit():
    cage = make_cage(512, 40)
    try:
        proc = _caged(cage, "import os, time\n"
                            "n = 0\n"
                            "for n in range(300):\n"
                            "    try:\n"
                            "        pid = os.fork()\n"
                            "    except OSError:\n"
                            "        break\n"
                            "    if pid == 0:\n"
                            "        time.sleep(60); os._exit(0)\n"
                            "print(n, flush=True)\n"
                            "time.sleep(60)\n")
        assert proc.stdout is not None
        forked = int(proc.stdout.readline())
        if cage.mode == "cgroup":
            assert forked < 40
    finally:
        cage.close()
        proc.wait(timeout=10)
    assert proc.returncode is not None


def test_the_fallback_cage_when_the_cgroup_root_is_not_writable(tmp_path, monkeypatch):
    monkeypatch.setattr(cage_module, "CGROUP_ROOT", tmp_path / "cgroup")  # does not exist: nothing to write
    cage = make_cage(256, 64)
    assert type(cage) is Cage and cage.mode == "process-group"
    proc = _caged(cage, "import time; time.sleep(600)\n")
    cage.kill_all()
    assert proc.wait(timeout=10) == -9
    assert not cage.out_of_memory()
    cage.close()


def test_a_plain_folder_is_not_taken_for_a_cgroup_filesystem(tmp_path, monkeypatch):
    """A writable folder that is not a cgroup filesystem must not yield a cage that enforces nothing."""
    (tmp_path / "memory").mkdir()
    (tmp_path / "pids").mkdir()
    monkeypatch.setattr(cage_module, "CGROUP_ROOT", tmp_path)
    cage = make_cage(256, 64)
    try:
        assert cage.mode == "process-group", "make_cage wrote limits into plain files and called it a cgroup"
    finally:
        cage.close()


def test_the_limits_mode_reflects_this_machine():
    assert make_cage(64, 8).mode in ("cgroup", "process-group")
    if os.geteuid() == 0 and Path("/sys/fs/cgroup/pids").is_dir() and os.access("/sys/fs/cgroup/pids", os.W_OK):
        assert cgroups_writable()


def test_a_cpu_quota_is_written_where_the_cpu_controller_is_writable():
    capped, uncapped = make_cage(64, 8, cpus=0.5), make_cage(64, 8)
    try:
        assert uncapped.cpu == "none" and "cpu" not in getattr(uncapped, "dirs", {})
        if capped.cpu == "none":
            assert capped.mode == "process-group" or not (cage_module.CGROUP_ROOT / "cpu").is_dir()
            return
        assert capped.cpu == "0.5 CPU quota"
        folder = capped.dirs["cpu"]
        if (folder / "cpu.max").exists():
            assert (folder / "cpu.max").read_text().split() == ["50000", "100000"]
        else:
            assert (folder / "cpu.cfs_quota_us").read_text().strip() == "50000"
            assert (folder / "cpu.cfs_period_us").read_text().strip() == "100000"
        proc = _caged(capped, "print(open('/proc/self/cgroup').read(), flush=True)")
        assert proc.stdout is not None
        assert folder.name in proc.stdout.read()  # the worker is in the cpu cgroup too
        proc.wait(timeout=30)
    finally:
        capped.close()
        uncapped.close()
    assert not any(p.exists() for p in capped.dirs.values())
