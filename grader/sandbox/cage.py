"""Limits the kernel enforces on a worker and on everything it starts: a cgroup per worker.

A cgroup holds the worker's processes even when one escapes its process group
with `setsid`, caps their memory (an out-of-memory kill is reported as
`memory-limit`), their number (a fork bomb stops at `pids.max`) and their CPU time
(a quota of about one CPU: busy children cannot starve the other `--jobs` workers),
and lets the judge kill them all. Both cgroup v1 (one hierarchy per controller) and v2 are
supported; where neither is writable (no root, a locked container) the cage
falls back to killing the process group, and the report says so.
"""
from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


class Cage:
    """Fallback: only the worker's process group is known and killed."""

    mode = "process-group"
    cpu = "none"

    def __init__(self) -> None:
        self.pids: list[int] = []

    def add(self, pid: int) -> None:
        self.pids.append(pid)

    def kill_all(self) -> None:
        for pid in self.pids:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def out_of_memory(self) -> bool:
        return False

    def close(self) -> None:
        self.kill_all()


class CgroupCage(Cage):
    """One cgroup (per controller on v1) for one worker."""

    mode = "cgroup"

    def __init__(self, dirs: dict[str, Path], cpu: str = "none") -> None:
        super().__init__()
        self.dirs = dirs
        self.cpu = cpu

    def cpu_stat(self) -> dict[str, int]:
        """The kernel's CPU accounting for the cage (`nr_throttled`, usage...); empty without a cpu controller."""
        folder = self.dirs.get("cpu")
        try:
            text = (folder / "cpu.stat").read_text() if folder else ""
        except OSError:
            return {}
        return {k: int(v) for k, v in (line.split() for line in text.splitlines() if len(line.split()) == 2)
                if v.isdigit()}

    def add(self, pid: int) -> None:
        super().add(pid)
        for folder in set(self.dirs.values()):
            (folder / "cgroup.procs").write_text(str(pid))

    def _members(self) -> set[int]:
        found: set[int] = set()
        for folder in set(self.dirs.values()):
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                pass
        return found

    def kill_all(self) -> None:
        super().kill_all()
        kill_file = self.dirs["pids"] / "cgroup.kill"
        for _ in range(100):
            members = self._members()
            if not members:
                return
            if kill_file.exists():
                _write(kill_file, "1")
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)

    def out_of_memory(self) -> bool:
        folder = self.dirs["memory"]
        for name in ("memory.events", "memory.oom_control"):
            try:
                text = (folder / name).read_text()
            except OSError:
                continue
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                    return True
        try:
            return int((folder / "memory.failcnt").read_text()) > 0 and not self._members()
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        self.kill_all()
        for folder in set(self.dirs.values()):
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def make_cage(memory_mb: int, max_pids: int, *, cpus: float | None = None) -> Cage:
    """A cgroup cage where the cgroup filesystem is writable, else the process-group fallback.

    `cpus` caps the cage's CPU time (CFS quota) where the cpu controller is available."""
    name = f"grader-{uuid.uuid4().hex[:12]}"
    try:
        if (CGROUP_ROOT / "cgroup.controllers").exists():
            return _v2(name, memory_mb, max_pids, cpus)
        return _v1(name, memory_mb, max_pids, cpus)
    except OSError:
        return Cage()


PERIOD_US = 100_000


def _v1(name: str, memory_mb: int, max_pids: int, cpus: float | None) -> CgroupCage:
    memory, pids = CGROUP_ROOT / "memory" / name, CGROUP_ROOT / "pids" / name
    made: list[Path] = []
    try:
        for folder in (memory, pids):
            folder.mkdir()
            made.append(folder)
        _require_kernel_files(memory, pids)
        (memory / "memory.limit_in_bytes").write_text(str(memory_mb * 1024 * 1024))
        _write(memory / "memory.swappiness", "0")
        (pids / "pids.max").write_text(str(max_pids))
        dirs, cpu = {"memory": memory, "pids": pids}, "none"
        if cpus and _v1_cpu(CGROUP_ROOT / "cpu" / name, cpus, made):
            dirs["cpu"], cpu = CGROUP_ROOT / "cpu" / name, _cpu_text(cpus)
    except OSError:
        for folder in made:
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    return CgroupCage(dirs, cpu)


def _v1_cpu(folder: Path, cpus: float, made: list[Path]) -> bool:
    """A v1 cpu cgroup with a CFS quota; False where the cpu hierarchy is missing or read-only."""
    try:
        folder.mkdir()
    except OSError:
        return False
    made.append(folder)
    _require_kernel_files(folder)
    (folder / "cpu.cfs_period_us").write_text(str(PERIOD_US))
    (folder / "cpu.cfs_quota_us").write_text(str(int(cpus * PERIOD_US)))
    return True


def _v2(name: str, memory_mb: int, max_pids: int, cpus: float | None) -> CgroupCage:
    folder = CGROUP_ROOT / name
    folder.mkdir()
    try:
        _require_kernel_files(folder)
        (folder / "memory.max").write_text(str(memory_mb * 1024 * 1024))
        _write(folder / "memory.swap.max", "0")
        (folder / "pids.max").write_text(str(max_pids))
        cpu = "none"
        if cpus:
            _write(CGROUP_ROOT / "cgroup.subtree_control", "+cpu")  # enable the controller for children
            if (folder / "cpu.max").exists():
                (folder / "cpu.max").write_text(f"{int(cpus * PERIOD_US)} {PERIOD_US}")
                cpu = _cpu_text(cpus)
    except OSError:
        folder.rmdir()
        raise
    return CgroupCage({"memory": folder, "pids": folder, "cpu": folder}, cpu)


def _cpu_text(cpus: float) -> str:
    return f"{cpus:g} CPU quota"


def _require_kernel_files(*folders: Path) -> None:
    """A real cgroup folder is filled by the kernel; a plain writable folder is not a cgroup."""
    for folder in folders:
        if not (folder / "cgroup.procs").exists():
            raise OSError(f"{folder} is not a cgroup")


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError:
        pass
