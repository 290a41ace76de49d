"""The platform seam: how this process starts workers and what isolates them, chosen once.

`current_backend()` is the Linux implementation where every part it needs is here
(`grader.sandbox.host.linux_missing`): workers forked from a TensorFlow-warm zygote (or started
cold), inside namespaces where the kernel allows them, each in a cgroup cage, without
privileges. Anywhere else (macOS, Windows, a Linux without one of those parts) it is the plain
implementation (`grader.sandbox.plain`): a spawned Python process per worker with the limits
the platform has and the judge's wall clock. `GRADER_SANDBOX=none` chooses plain anywhere.

Either way `sandbox()` is the report's `sandbox` section: `mode` is "namespaces" when the
worker's filesystem and network are its own, "none" when nothing stands between the
student's code and the machine's files (a plain process, or Linux without namespaces);
`grader grade` refuses mode "none" unless told otherwise (`grader.api.grade`).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Protocol

from grader.sandbox import host
from grader.sandbox.cage import make_cage
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.isolation import PREVIOUS, current_isolation
from grader.sandbox.plain import start_plain
from grader.sandbox.warm import process_zygote
from grader.sandbox.workers import Runtime, Worker, start_cold

MAX_PIDS = 256 + 8 * (os.cpu_count() or 1)  # TensorFlow's thread pools count as tasks
# CPU quota per worker: busy children cannot starve the other --jobs workers (none in the bench's "previous")
WORKER_CPUS = None if PREVIOUS else 1.0
NO_SANDBOX = "none"  # the mode where nothing isolates a worker


class Backend(Protocol):
    """Starts workers with limits and says what isolation was in force."""

    name: str

    def sandbox(self) -> dict[str, str]: ...

    def prestart(self, runtime: Runtime, hide: tuple[str, ...], show: tuple[str, ...]) -> None: ...

    def launch(self, folder: Path, limits: WorkerLimits, *, warm: bool, runtime: Runtime,
               hide: tuple[str, ...], show: tuple[str, ...]) -> Worker: ...


class LinuxBackend:
    """Namespaces (where the kernel allows), cgroups, a forking zygote, the privilege drop."""

    name = "linux"

    def sandbox(self) -> dict[str, str]:
        cage = make_cage(64, 8, cpus=WORKER_CPUS)
        mode, cpu = cage.mode, cage.cpu
        cage.close()
        isolation = current_isolation()
        return {"mode": "namespaces" if isolation.filesystem == "namespace" else NO_SANDBOX,
                **isolation.to_dict(), "limits": mode, "cpu": cpu}

    def prestart(self, runtime: Runtime, hide: tuple[str, ...], show: tuple[str, ...]) -> None:
        """Start the zygote now: TensorFlow's import overlaps the judge's own start-up."""
        process_zygote(runtime=runtime, hide=hide, show=show)

    def launch(self, folder: Path, limits: WorkerLimits, *, warm: bool, runtime: Runtime,
               hide: tuple[str, ...], show: tuple[str, ...]) -> Worker:
        """A warm worker forked from this process's zygote, or a cold one where that is not possible."""
        if warm:
            try:
                worker = process_zygote(runtime=runtime, hide=hide, show=show).start(folder, limits)
            except OSError:
                worker = start_cold(folder, limits, runtime=runtime, hide=hide, show=show)
                worker.flags.add("cold-start")  # the report says warm workers were not available
        else:
            worker = start_cold(folder, limits, runtime=runtime, hide=hide, show=show)
        worker.cage = make_cage(limits.memory_mb, MAX_PIDS, cpus=WORKER_CPUS)
        worker.cage.add(worker.pid)
        return worker


class PlainBackend:
    """A spawned process per worker: the platform's rlimits, the socket guard and the judge's clock."""

    name = "plain"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def sandbox(self) -> dict[str, str]:
        try:
            import resource  # noqa: F401 - only asked whether the platform has rlimits
            limits = "rlimits and the wall clock"
        except ImportError:
            limits = "the wall clock"
        return {"mode": NO_SANDBOX, "network": "python-guard", "filesystem": "none",
                "uid": "your own (a plain process: no privilege drop here)", "dev": "host", "proc": "host",
                "limits": limits, "cpu": "none", "reason": self.reason}

    def prestart(self, runtime: Runtime, hide: tuple[str, ...], show: tuple[str, ...]) -> None:
        """Nothing to warm: each worker is spawned and imports TensorFlow itself."""

    def launch(self, folder: Path, limits: WorkerLimits, *, warm: bool, runtime: Runtime,
               hide: tuple[str, ...], show: tuple[str, ...]) -> Worker:
        return start_plain(folder, limits, runtime=runtime)


@functools.cache
def current_backend() -> LinuxBackend | PlainBackend:
    """This process's backend, decided on first use and kept (every report of the process states it)."""
    if os.environ.get("GRADER_SANDBOX") == NO_SANDBOX:
        return PlainBackend("GRADER_SANDBOX=none")
    missing = host.linux_missing()
    if missing:
        return PlainBackend("this machine lacks " + ", ".join(missing))
    return LinuxBackend()
