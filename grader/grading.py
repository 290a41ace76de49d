"""One submission through every stage: ingest -> extract -> worker/judge -> score.

`grade_submission` always returns a `GradingResult`; what went wrong becomes its
status, error and flags, never an exception that could stop a batch.
"""
from __future__ import annotations

import functools
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader import __version__
from grader.course import Assignment, Limits
from grader.errors import SubmissionError
from grader.extract import Extracted, extract
from grader.ingest import Source, ingest, submission_sha256
from grader.judge import SPEC_INI, ResultCollector, SpecsBroken, TestOutcome, run_specs
from grader.score import GradingResult, max_points, score_tests
from grader.session import Launcher, Submission
from grader.sandbox import Worker, WorkerLimits, start_cold
from grader.zygote import fork_worker


@dataclass(frozen=True)
class Plan:
    """What to run: which specs, with which seed, where workers come from."""

    assignment: Assignment
    specs: tuple[Path, ...]
    seed: int
    max_bytes: int = 5 * 1024 * 1024
    warm: bool = True
    zygote_socket: str | None = None  # set while a warm zygote serves this plan
    limits: Limits | None = None  # overrides the assignment's limits (tests, --timeout)

    def launcher(self) -> Launcher | None:
        if self.zygote_socket is None:
            return None
        return functools.partial(_fork_or_cold, self.zygote_socket)

    @property
    def visibility(self) -> dict[str, str]:
        public = {str(p) for p in self.assignment.public_specs}
        return {str(p): ("visible" if str(p) in public else "hidden") for p in self.specs}


def grade_submission(path: Path, plan: Plan, *, submission_id: str) -> GradingResult:
    """Grade one submission; any failure becomes part of the result."""
    started = time.monotonic()
    info: dict[str, Any] = {"path": str(path), "sha256": _safe_sha(path), "kind": _kind(path)}
    try:
        source = ingest(path, plan.assignment.stub, max_bytes=plan.max_bytes)
        info.update(kind=source.kind, member=source.member)
        extracted = extract(source)
    except SubmissionError as exc:
        return _error_result(plan, submission_id, info, exc, started)
    return _judge(source, extracted, plan, submission_id, info, started)


def _judge(source: Source, extracted: Extracted, plan: Plan, submission_id: str,
           info: dict[str, Any], started: float) -> GradingResult:
    submission = Submission(extracted, plan.assignment, seed=plan.seed, launcher=plan.launcher(), limits=plan.limits)
    extraction = _extraction_info(extracted)
    try:
        load = submission.load()
        extraction["problems"] = [_problem(p, extracted) for p in load.problems]
        if plan.assignment.names and not load.defined:
            missing = "; ".join(submission.missing_message(n) for n in plan.assignment.names)
            raise SubmissionError("missing-name", missing)
        outcomes, collect_errors = run_specs(list(plan.specs), submission, seed=plan.seed,
                                             visibility=plan.visibility)
    except SubmissionError as exc:
        result = _error_result(plan, submission_id, info, exc, started, extraction=extraction)
        submission.close()
        return result
    stdout, stderr, cut = submission.output()
    submission.close()
    flags = set(submission.flags) | ({"output-truncated"} if cut else set())
    internal = tuple(f"{o.name}: {o.internal}" for o in outcomes if o.internal) + tuple(collect_errors)
    return GradingResult(
        assignment=plan.assignment.slug, id=submission_id, submission=info, status="graded",
        tests=score_tests(outcomes), max_score=max_points(outcomes), extraction=extraction,
        devices=_devices(), flags=tuple(sorted(flags)), seed=plan.seed,
        timing={"wall_s": round(time.monotonic() - started, 3)}, environment=environment(),
        output={"stdout": stdout, "stderr": stderr, "truncated": cut}, internal=internal,
    )


def _fork_or_cold(socket_path: str, folder: Path, limits: WorkerLimits) -> Worker:
    """A warm worker, or a cold one where the zygote could not start (it said why on its stdout)."""
    try:
        return fork_worker(socket_path, folder, limits)
    except (OSError, KeyError, ValueError):
        return start_cold(folder, limits)


def _error_result(plan: Plan, submission_id: str, info: dict[str, Any], exc: SubmissionError,
                  started: float, *, extraction: dict[str, Any] | None = None) -> GradingResult:
    expected = collect(plan.specs, plan.visibility)
    outcomes = [TestOutcome(name=n, points=p, outcome="error", message=exc.message, visibility=v, duration_s=0.0)
                for n, p, v in expected]
    flags = ("timeout",) if exc.kind == "timeout" else ()
    return GradingResult(
        assignment=plan.assignment.slug, id=submission_id, submission=info, status="error",
        error={"kind": exc.kind, "message": exc.message}, tests=score_tests(outcomes),
        max_score=max_points(outcomes), extraction=extraction or {"dropped": [], "notes": []},
        devices=_devices(), flags=flags, seed=plan.seed,
        timing={"wall_s": round(time.monotonic() - started, 3)}, environment=environment(),
    )


def collect(specs: tuple[Path, ...], visibility: dict[str, str]) -> list[tuple[str, float, str]]:
    """(name, points, visibility) of every spec, without running any."""
    return list(_collect_cached(specs, tuple(sorted(visibility.items()))))


@functools.lru_cache(maxsize=32)
def _collect_cached(specs: tuple[Path, ...], visibility: tuple[tuple[str, str], ...]) -> tuple[Any, ...]:
    collector = ResultCollector(dict(visibility))
    args = [str(p) for p in specs] + ["-c", str(SPEC_INI), "--collect-only", "-p", "no:cacheprovider",
                                      "-p", "no:terminal", "--import-mode=importlib"]
    code = pytest.main(args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) or not collector.expected:
        raise SpecsBroken(f"the specs could not be collected ({code!r}): {collector.collection_errors}")
    return tuple(collector.expected.values())


def _extraction_info(extracted: Extracted) -> dict[str, Any]:
    return {"dropped": [d.to_dict() for d in extracted.dropped], "notes": list(extracted.notes)}


def _problem(problem: dict[str, Any], extracted: Extracted) -> dict[str, Any]:
    line = problem.get("line") if isinstance(problem.get("line"), int) else 1
    where = extracted.where(line)
    return {"where": where, "error": f"{problem.get('type', 'Error')}: {str(problem.get('message', ''))[:300]}"}


def _devices() -> dict[str, Any]:
    return {"cpu": {"status": "ran"}, "gpu": {"status": "skipped", "reason": "no GPU visible"}}


def _safe_sha(path: Path) -> str:
    try:
        return submission_sha256(path)
    except OSError:
        return ""


def _kind(path: Path) -> str:
    if path.is_dir():
        return "folder"
    return {".ipynb": "notebook", ".zip": "zip"}.get(path.suffix.lower(), "python")


@functools.cache
def environment() -> dict[str, str]:
    """Versions that can change a grade (read from package metadata: no TensorFlow import)."""
    from importlib.metadata import PackageNotFoundError, version

    env = {"python": platform.python_version(), "grader": __version__}
    for name in ("tensorflow", "keras", "numpy"):
        try:
            env[name] = version(name)
        except PackageNotFoundError:
            env[name] = "missing"
    return env
