"""What the judge runs for a batch: the specs, the seed, and where workers come from.

A `Plan` is made once per batch (`grader.judge.pool.make_plan`) and sent to every judge
process; its `launcher` starts each worker: forked from the process's zygote when it is
warm, else started cold, and always put in its own cgroup cage.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from grader.course.assignments import Assignment, Limits
from grader.judge.devices import LegPlan
from grader.judge.session import Launcher
from grader.sandbox.cage import make_cage
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.isolation import PREVIOUS
from grader.sandbox.warm import process_zygote
from grader.sandbox.workers import Runtime, Worker, start_cold

MAX_PIDS = 256 + 8 * (os.cpu_count() or 1)  # TensorFlow's thread pools count as tasks
# CPU quota per worker: busy children cannot starve the other --jobs workers (none in the bench's "previous")
WORKER_CPUS = None if PREVIOUS else 1.0


@dataclass(frozen=True)
class Plan:
    """What to run: which specs, with which seed, where workers come from."""

    assignment: Assignment
    specs: tuple[Path, ...]
    seed: int
    max_bytes: int = 5 * 1024 * 1024
    warm: bool = True
    hide: tuple[str, ...] = ()  # folders workers must not see (solutions, the output folder)
    show: tuple[str, ...] = ()  # folders workers need read-only besides the grader (the assignment's)
    limits: Limits | None = None  # overrides the assignment's limits (tests, --timeout)
    legs: LegPlan = LegPlan(("cpu",), (("gpu", "no GPU visible"),))
    legacy: bool = False  # grade with Keras 2 (tf-keras) instead of Keras 3

    @property
    def gpu_only(self) -> frozenset[str]:
        return frozenset(self.assignment.gpu_only)

    def launcher(self, runtime: Runtime = Runtime()) -> Launcher:
        return functools.partial(launch_worker, self.warm, self.hide, self.show, runtime)

    @property
    def visibility(self) -> dict[str, str]:
        public = {str(p) for p in self.assignment.public_specs}
        return {str(p): ("visible" if str(p) in public else "hidden") for p in self.specs}


def launch_worker(warm: bool, hide: tuple[str, ...], show: tuple[str, ...], runtime: Runtime, folder: Path,
                  limits: WorkerLimits) -> Worker:
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
