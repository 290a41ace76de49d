"""grader.judge.plan: what a batch runs, and how each worker is started and caged."""
from __future__ import annotations

import dataclasses

from grader.judge.plan import launch_worker
from grader.judge.pool import make_plan
from grader.sandbox import backend as backend_module
from grader.sandbox.backend import MAX_PIDS, WORKER_CPUS
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.workers import Runtime, make_folder


def test_visibility_names_public_specs_visible_and_the_rest_hidden(concat_plan):
    public = {str(p) for p in concat_plan.assignment.public_specs}
    visibility = concat_plan.visibility
    assert set(visibility) == {str(p) for p in concat_plan.specs}
    assert {p for p, v in visibility.items() if v == "visible"} == public
    assert any(v == "hidden" for v in visibility.values())  # the grader's plan includes the hidden specs
    public_only = make_plan(concat_plan.assignment, public_only=True, seed=1)
    assert set(public_only.visibility.values()) == {"visible"}  # a student's check sees no hidden spec


def test_gpu_only_comes_from_the_assignment(concat_plan):
    assert concat_plan.gpu_only == frozenset()  # no assignment of the course declares one yet
    assignment = dataclasses.replace(concat_plan.assignment, gpu_only=("test_runs_on_the_gpu",))
    assert dataclasses.replace(concat_plan, assignment=assignment).gpu_only == {"test_runs_on_the_gpu"}


def test_a_plan_is_frozen_so_every_judge_process_runs_the_same_one(concat_plan):
    try:
        concat_plan.seed = 1  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("a Plan must not change once made")
    assert dataclasses.replace(concat_plan, seed=1).seed == 1 and concat_plan.seed == 4242


def _launch_and_check(plan, monkeypatch, *, warm: bool, refuse_warm: bool):
    if refuse_warm:
        def refuse(**kwargs):
            raise OSError("no warm workers")

        monkeypatch.setattr("grader.sandbox.backend.process_zygote", refuse)
    caged: list[tuple[int, int, float | None]] = []
    real = backend_module.make_cage

    def spy(memory_mb, max_pids, *, cpus=None):
        caged.append((memory_mb, max_pids, cpus))
        return real(memory_mb, max_pids, cpus=cpus)

    monkeypatch.setattr(backend_module, "make_cage", spy)
    limits = WorkerLimits(memory_mb=2048)
    worker = launch_worker(warm, plan.hide, plan.show, Runtime(), make_folder(), limits)
    try:
        assert worker.alive()
        assert caged == [(2048, MAX_PIDS, WORKER_CPUS)]
        assert worker.cage.pids == [worker.pid]  # the worker is in its cage before it is given any code
        return set(worker.flags)
    finally:
        worker.close()


def test_a_worker_falls_back_to_a_cold_start_and_says_so(concat_plan, monkeypatch):
    assert _launch_and_check(concat_plan, monkeypatch, warm=True, refuse_warm=True) == {"cold-start"}


def test_a_cold_worker_asked_for_is_not_flagged(concat_plan, monkeypatch):
    assert _launch_and_check(concat_plan, monkeypatch, warm=False, refuse_warm=False) == set()


def test_a_warm_worker_comes_from_the_zygote(concat_plan, zygote, monkeypatch):
    assert _launch_and_check(concat_plan, monkeypatch, warm=True, refuse_warm=False) == set()
