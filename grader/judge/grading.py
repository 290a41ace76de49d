"""One submission through every stage: ingest -> extract -> worker/judge -> score.

`grade_submission` always returns a `GradingResult`; what went wrong becomes its
status, error and flags, never an exception that could stop a batch.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import platform
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from grader import __version__
from grader.assignments import Assignment
from grader.errors import SubmissionError
from grader.intake.extract import MAX_LISTED, Extracted, extract
from grader.intake.files import submission_sha256
from grader.intake.ingest import DEFAULT_MAX_BYTES, Source, ingest
from grader.intake.selection import probe_names
from grader.intake.tampering import review
from grader.judge.course_faults import contract_gaps
from grader.judge.held import held_event, held_section
from grader.judge.legs import combine, run_leg
from grader.judge.plan import Plan
from grader.judge.runner import (SPEC_INI, ResultCollector, SpecsBroken, TestOutcome, require_points, spec_modules_forgotten,
                                 spec_root)
from grader.judge.score import GradingResult, max_points, score_tests
from grader.judge.session import HELD_MESSAGE
from grader.output.report import write_json
from grader.sandbox.backend import current_backend


def grade_submission(path: Path, plan: Plan, *, submission_id: str) -> GradingResult:
    """Grade one submission; any failure becomes part of the result."""
    started = time.monotonic()
    info: dict[str, Any] = {"path": str(path), "sha256": safe_sha(path, plan.max_bytes), "kind": _kind(path)}
    try:
        source = ingest(path, plan.assignment.stub, max_bytes=plan.max_bytes)
        info.update(kind=source.kind, member=source.member)
        extracted = extract(source, graded_names(plan.assignment))
    except SubmissionError as exc:
        return _error_result(plan, submission_id, info, exc, started)
    found = review(extracted)
    if found.tampering:  # never run: its answers could be forged; held for the instructor to review
        section = held_section(found.events(), found.message())
        result = _held_result(plan, submission_id, info, section, started, extraction=_extraction_info(extracted))
        return dataclasses.replace(result, flags=tuple(sorted(found.flags)), internal=found.notes())
    result = _judge(source, extracted, plan, submission_id, info, started)
    return dataclasses.replace(result, flags=tuple(sorted(set(result.flags) | found.flags)),
                               internal=result.internal + found.notes())


def _judge(source: Source, extracted: Extracted, plan: Plan, submission_id: str,
           info: dict[str, Any], started: float) -> GradingResult:
    runs = [run_leg(leg, extracted, plan) for leg in plan.legs.run]
    scoring = next(r for r in runs if r.name == plan.legs.scoring)
    extraction = _extraction_info(extracted)
    extraction.update(_problems(list(scoring.problems), extracted))
    held = [held_event(event, extracted) for run in runs for event in run.held]
    if held:  # a tamper check stopped a worker: nothing it answered is scored
        section = held_section(held, HELD_MESSAGE, {o.name: o.outcome for o in scoring.outcomes})
        result = _held_result(plan, submission_id, info, section, started, extraction=extraction)
        stdout, stderr, cut = scoring.output
        return dataclasses.replace(result, sandbox=_sandbox(), output={"stdout": stdout, "stderr": stderr, "truncated": cut},
                                   flags=tuple(sorted(set().union(*(r.flags for r in runs)) | {"tampering"})))
    if scoring.error is not None:
        result = _error_result(plan, submission_id, info, scoring.error, started, extraction=extraction)
        internal = (scoring.error.internal,) if scoring.error.internal else ()
        return dataclasses.replace(result, sandbox=_sandbox(), flags=tuple(sorted(set(result.flags) | scoring.flags)),
                                   internal=internal)
    outcomes, devices, leg_flags = combine(runs, plan)
    flags = set().union(*(r.flags for r in runs)) | leg_flags
    stdout, stderr, cut = scoring.output
    internal = (tuple(contract_gaps(plan.assignment.names, plan.assignment.stub_py))
                + tuple(f"{o.name}: {o.internal}" for o in outcomes if o.internal) + tuple(scoring.collect_errors))
    return GradingResult(
        assignment=plan.assignment.slug, id=submission_id, submission=info, status="graded",
        tests=score_tests(outcomes), max_score=max_points(outcomes), extraction=extraction,
        devices=devices, flags=tuple(sorted(flags)), seed=plan.seed,
        timing={"wall_s": round(time.monotonic() - started, 3)}, environment=environment(plan.legacy),
        output={"stdout": stdout, "stderr": stderr, "truncated": cut}, internal=internal, sandbox=_sandbox(),
    )


def _error_result(plan: Plan, submission_id: str, info: dict[str, Any], exc: SubmissionError,
                  started: float, *, extraction: dict[str, Any] | None = None) -> GradingResult:
    expected = _collect_cached(plan.specs, tuple(sorted(plan.visibility.items())))
    outcomes = [TestOutcome(name=n, points=p, outcome="error", message=exc.message, visibility=v, duration_s=0.0,
                            clause=c) for n, p, v, c in expected]
    flags = ("timeout",) if exc.kind == "timeout" else ()
    devices: dict[str, Any] = {leg: {"status": "skipped", "reason": reason} for leg, reason in plan.legs.skipped}
    devices.update({leg: {"status": "error", "error": exc.message} for leg in plan.legs.run})
    return GradingResult(
        assignment=plan.assignment.slug, id=submission_id, submission=info, status="error",
        error={"kind": exc.kind, "message": exc.message}, tests=score_tests(outcomes),
        max_score=max_points(outcomes), extraction=extraction or {"dropped": [], "notes": []},
        devices=devices, flags=flags, seed=plan.seed,
        timing={"wall_s": round(time.monotonic() - started, 3)}, environment=environment(plan.legacy),
    )


def _held_result(plan: Plan, submission_id: str, info: dict[str, Any], held: dict[str, Any], started: float, *,
                 extraction: dict[str, Any]) -> GradingResult:
    """Status `held`: every test unscored with the student's message; why and where in `held`."""
    expected = _collect_cached(plan.specs, tuple(sorted(plan.visibility.items())))
    outcomes = [TestOutcome(name=n, points=p, outcome="error", message=held["message"], visibility=v, duration_s=0.0,
                            clause=c) for n, p, v, c in expected]  # a held report's tests keep their clauses
    devices: dict[str, Any] = {leg: {"status": "skipped", "reason": reason} for leg, reason in plan.legs.skipped}
    devices.update({leg: {"status": "held"} for leg in plan.legs.run})
    return GradingResult(
        assignment=plan.assignment.slug, id=submission_id, submission=info, status="held", held=held,
        tests=score_tests(outcomes), max_score=max_points(outcomes), extraction=extraction, devices=devices,
        flags=("tampering",), seed=plan.seed, timing={"wall_s": round(time.monotonic() - started, 3)},
        environment=environment(plan.legacy),
    )


def collect(specs: tuple[Path, ...], visibility: dict[str, str]) -> list[tuple[str, float, str]]:
    """(name, points, visibility) of every spec, without running any."""
    return [(n, p, v) for n, p, v, _ in _collect_cached(specs, tuple(sorted(visibility.items())))]


def collect_clauses(specs: tuple[Path, ...]) -> dict[str, str]:
    """The clause (`grader.spec.clause`) of every spec by test name, without running any."""
    return {n: c for n, _, _, c in _collect_cached(specs, ())}


@functools.lru_cache(maxsize=32)
def _collect_cached(specs: tuple[Path, ...], visibility: tuple[tuple[str, str], ...]) -> tuple[Any, ...]:
    """Spec lists depend only on the spec files: kept in memory per judge and on disk between runs."""
    digest = hashlib.sha256(repr((visibility, __version__, COLLECT_ROWS)).encode())
    for spec in specs:
        digest.update(str(spec).encode() + b"\0" + spec.read_bytes())
    cached = cache_dir() / f"collect-{digest.hexdigest()[:32]}.json"
    try:
        return tuple(tuple(row) for row in json.loads(cached.read_text()))
    except (OSError, ValueError, TypeError):
        pass
    expected = _collect_now(specs, visibility)
    try:
        write_json(cached, [list(row) for row in expected])
    except OSError:
        pass  # a read-only cache only costs the collection again
    return expected


COLLECT_ROWS = "name, points (required), visibility, clause"  # in the cache key: a cache of older rows is never read


def cache_dir() -> Path:
    """Where the judge keeps submission-independent results between runs ($GRADER_CACHE)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "keras-grader"
    return Path(os.environ.get("GRADER_CACHE", default))


def _collect_now(specs: tuple[Path, ...], visibility: tuple[tuple[str, str], ...]) -> tuple[Any, ...]:
    collector = ResultCollector(dict(visibility))
    args = [str(p) for p in specs] + ["-c", str(SPEC_INI), "--rootdir", spec_root(specs), "--collect-only",
                                      "-p", "no:cacheprovider",
                                      "-p", "no:terminal", "--import-mode=importlib"]
    with spec_modules_forgotten(spec_root(specs)):
        code = pytest.main(args, plugins=[collector])
    require_points(collector)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) or not collector.expected:
        raise SpecsBroken(f"the specs could not be collected ({code!r}): {collector.collection_errors}")
    return tuple(collector.expected.values())


def graded_names(assignment: Assignment) -> set[str]:
    """The extraction's roots: the contract's names and every attribute the probes read off the submission."""
    return set(assignment.names) | probe_names(assignment.probes)


def _extraction_info(extracted: Extracted) -> dict[str, Any]:
    """`dropped`, `notes` (the contract) plus `kept`: each statement run at load that is not an import
    or a definition, with the graded name that needed it; long lists are cut, with a count of the rest."""
    info: dict[str, Any] = {"dropped": [d.to_dict() for d in extracted.dropped], "notes": list(extracted.notes),
                            "kept": [k.to_dict() for k in extracted.kept]}
    if extracted.dropped_total > len(extracted.dropped):
        info["dropped_left_out"] = extracted.dropped_total - len(extracted.dropped)
    if extracted.kept_total > len(extracted.kept):
        info["kept_left_out"] = extracted.kept_total - len(extracted.kept)
    if extracted.modules:
        info["modules"] = [{"name": m.name, "from": m.origin} for m in extracted.modules]
    return info


def _problems(problems: list[dict[str, Any]], extracted: Extracted) -> dict[str, Any]:
    """Load-time failures, at most MAX_LISTED, each with where it is and which graded name needed it."""
    out: dict[str, Any] = {"problems": [_problem(p, extracted) for p in problems[:MAX_LISTED]]}
    left = max(0, len(problems) - MAX_LISTED) + sum(p.get("left_out", 0) for p in problems
                                                    if isinstance(p.get("left_out"), int))
    if left > 0:
        out["problems_left_out"] = left
    return out


def _problem(problem: dict[str, Any], extracted: Extracted) -> dict[str, Any]:
    line = problem.get("line") if isinstance(problem.get("line"), int) else 1
    module = problem.get("module")
    where = f"{str(module)[:80]}.py line {line}" if module else extracted.where(line)
    out = {"where": where, "error": f"{str(problem.get('type', 'Error'))[:80]}: {str(problem.get('message', ''))[:300]}"}
    needed = None if module else extracted.needed_by(line)
    if needed:
        out["needed_by"] = needed
    return out


def _sandbox() -> dict[str, str]:
    """The protections in force, as the report states them (`mode`, and `uid`, `dev`, `proc`, `cpu` per issue 14)."""
    return current_backend().sandbox()


def safe_sha(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    try:
        return submission_sha256(path, max_bytes)
    except OSError:
        return ""


def _kind(path: Path) -> str:
    try:
        mode = os.lstat(path).st_mode  # never what a link points to
    except OSError:
        return "unknown"
    if stat.S_ISDIR(mode):
        return "folder"
    if not stat.S_ISREG(mode):
        return "unknown"  # a link, pipe, socket or device: refused by ingest
    return {".ipynb": "notebook", ".zip": "zip"}.get(path.suffix.lower(), "python")


@functools.cache
def environment(legacy: bool = False) -> dict[str, str]:
    """Versions that can change a grade (read from package metadata: no TensorFlow import)."""
    from importlib.metadata import PackageNotFoundError, version

    env = {"python": platform.python_version(), "grader": __version__, "keras_mode": "legacy" if legacy else "3"}
    for name in ("tensorflow", "keras", "numpy") + (("tf-keras",) if legacy else ()):
        try:
            env[name] = version(name)
        except PackageNotFoundError:
            env[name] = "missing"
    return env
