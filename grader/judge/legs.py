"""Running the specs once per device leg and combining the legs into one set of outcomes.

The CPU leg scores, unless it did not run (`--devices gpu`) or the assignment
names a test GPU-only. Each leg gets fresh workers; a test that passes on one
leg and fails on the other is flagged, and numeric answers both legs produced
are compared within the tolerance in `grader.judge.devices`.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from grader.errors import SubmissionError
from grader.intake.extract import Extracted
from grader.judge.course_faults import undefined_by_stub
from grader.judge.devices import compare_answers, detect_gpus, disagreements, gpu_slot
from grader.judge.runner import TestOutcome, run_specs
from grader.judge.session import Submission
from grader.sandbox.workers import Runtime

if TYPE_CHECKING:
    from grader.judge.plan import Plan


@dataclass
class LegRun:
    """What one leg produced."""

    name: str
    outcomes: list[TestOutcome] = field(default_factory=list)
    error: SubmissionError | None = None
    flags: set[str] = field(default_factory=set)
    answers: list[Any] = field(default_factory=list)
    output: tuple[str, str, bool] = ("", "", False)
    problems: list[dict[str, Any]] = field(default_factory=list)
    collect_errors: list[str] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)  # the worker's tamper reports, as sent


def run_leg(leg: str, extracted: Extracted, plan: Plan) -> LegRun:
    """Load the submission in a fresh worker on `leg` and run every spec against it."""
    run = LegRun(leg)
    slot = gpu_slot(len(detect_gpus())) if leg == "gpu" else contextlib.nullcontext(None)
    with slot as gpu_index:
        launcher = plan.launcher(Runtime(gpu=gpu_index, legacy=plan.legacy))
        submission = Submission(extracted, plan.assignment, seed=plan.seed, launcher=launcher, limits=plan.limits)
        try:
            load = submission.load()
            run.problems = list(load.problems)
            asked = contract_names(plan)  # a name the stub lacks is the course's typo, not asked of anyone
            if asked and not set(asked) & set(load.defined):
                raise SubmissionError("missing-name", "; ".join(submission.missing_message(n) for n in asked))
            run.outcomes, run.collect_errors = run_specs(list(plan.specs), submission, seed=plan.seed,
                                                         visibility=plan.visibility, device=leg)
        except SubmissionError as exc:
            run.error = exc
        finally:
            run.output = submission.output()
            submission.close()
    run.flags = set(submission.flags) | ({"output-truncated"} if run.output[2] else set())
    if leg == "gpu" and any("ResourceExhausted" in o.message or "OOM" in o.message for o in run.outcomes):
        run.flags.add("gpu-out-of-memory")
    run.answers = submission.answers
    run.held = list(submission.held)
    return run


def contract_names(plan: Plan) -> list[str]:
    """The contract's names a submission must define: those of assignment.toml that the stub defines too."""
    names = list(plan.assignment.names)
    lacking = set(undefined_by_stub(names, plan.assignment.stub_py))
    return [n for n in names if n not in lacking]


def combine(runs: list[LegRun], plan: Plan) -> tuple[list[TestOutcome], dict[str, Any], set[str]]:
    """Scoring outcomes, the report's `devices` section, and flags from comparing legs."""
    by_leg = {r.name: r for r in runs}
    scoring = by_leg[plan.legs.scoring]
    gpu = by_leg.get("gpu")
    outcomes = []
    for outcome in scoring.outcomes:
        if outcome.name in plan.gpu_only:
            outcome = _gpu_only(outcome, gpu)
        outcomes.append(outcome)
    devices: dict[str, Any] = {leg: {"status": "skipped", "reason": reason} for leg, reason in plan.legs.skipped}
    for run in runs:
        devices[run.name] = {"status": "error" if run.error else "ran",
                             "tests": {o.name: o.outcome for o in run.outcomes}}
        if run.error:
            devices[run.name]["error"] = run.error.message
    flags: set[str] = set()
    if len(runs) > 1:
        split = disagreements({r.name: devices[r.name]["tests"] for r in runs})
        numeric = compare_answers(runs[0].answers, runs[1].answers)
        devices["disagreements"], devices["numeric"] = split, numeric
        flags |= {"device-disagreement"} if split else set()
        flags |= {"device-numeric-mismatch"} if numeric["mismatched"] else set()
    return outcomes, devices, flags


def _gpu_only(outcome: TestOutcome, gpu: LegRun | None) -> TestOutcome:
    if gpu is None:
        return TestOutcome(name=outcome.name, points=0.0, outcome="skipped", visibility=outcome.visibility,
                           message="This check runs only on a GPU.", duration_s=0.0, device="gpu",
                           clause=outcome.clause)
    return next((o for o in gpu.outcomes if o.name == outcome.name), outcome)
