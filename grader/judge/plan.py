"""What the judge runs for a batch: the specs, the seed, and where workers come from.

A `Plan` is made once per batch (`grader.judge.pool.make_plan`) and sent to every judge
process; its `launcher` starts each worker through the process's sandbox backend
(`grader.sandbox.backend`): on Linux forked from the process's zygote when it is warm, else
started cold, and always put in its own cgroup cage; elsewhere a plain spawned process.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from grader.assignments import Assignment, Limits
from grader.judge.devices import LegPlan
from grader.judge.session import Launcher
from grader.sandbox.backend import current_backend
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.workers import Runtime, Worker


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
    """A worker from this process's backend (warm where it can fork them)."""
    return current_backend().launch(folder, limits, warm=warm, runtime=runtime, hide=hide, show=show)
