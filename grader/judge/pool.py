"""Grading many submissions: a pool of judge processes, and a report for every submission whatever happens.

A judge that dies takes its pending submissions with it; those are re-graded one at a time in
a fresh judge, and only one that stops its judge again is reported so. A grader failure is a
report with score 0 and a reason, never a lost submission.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from grader.assignments import Assignment
from grader.errors import UsageError
from grader.intake.batch import Entry
from grader.judge.devices import detect_gpus, plan_legs
from grader.judge.grading import collect, environment, grade_submission, safe_sha
from grader.judge.plan import Plan
from grader.judge.score import GradingResult
from grader.output.console import plain
from grader.output.report import safe_text
from grader.sandbox.backend import current_backend
from grader.sandbox.disk import sweep
from grader.sandbox.isolation import sandbox_base
from grader.sandbox.workers import Runtime


def make_plan(assignment: Assignment, *, public_only: bool, seed: int | None, max_mb: float | None = None,
              warm: bool = True, devices: str = "auto", keras: str = "3") -> Plan:
    specs = assignment.public_specs if public_only else assignment.public_specs + assignment.hidden_specs
    if not specs:
        raise UsageError(f"assignment {assignment.slug!r} has no specs")
    collect(tuple(specs), {})  # a spec without @points stops here, before any submission is graded
    max_bytes = int((max_mb or assignment.limits.max_file_mb) * 1024 * 1024)
    course = assignment.folder.parent.parent
    hide = (str(course / "solutions"), str(course / ".git"))  # .git holds every solution's history
    return Plan(assignment=assignment, specs=tuple(specs), seed=new_seed() if seed is None else seed,
                max_bytes=max_bytes, warm=warm, hide=hide, show=(str(assignment.folder.resolve()),), legs=plan_legs(devices, detect_gpus()),
                legacy=_legacy(keras))


def _legacy(keras: str) -> bool:
    """`--keras 3` (default) or `--keras legacy` (Keras 2 through the tf-keras package)."""
    if keras not in ("3", "legacy"):
        raise UsageError(f"--keras must be 3 or legacy, got {keras!r}")
    if keras == "legacy" and importlib.util.find_spec("tf_keras") is None:
        raise UsageError("--keras legacy needs the tf-keras package: pip install 'keras-grader[legacy]'")
    return keras == "legacy"


def new_seed() -> int:
    return secrets.randbelow(2**31 - 1)


def submission_sha(path: Path) -> str:
    return safe_sha(path)


def specs_hash(plan: Plan) -> str:
    """Changes whenever anything that decides a grade changes: specs, probes, config, grader, versions."""
    digest = hashlib.sha256()
    folder = plan.assignment.folder
    for path in [*plan.specs, plan.assignment.probes, folder / "assignment.toml"]:
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes())
    for path in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):  # the whole grader package
        digest.update(path.read_bytes())
    digest.update(repr(sorted(environment().items())).encode())
    return digest.hexdigest()


def grade_all(plan: Plan, entries: list[Entry], hashes: dict[str, str], jobs: int,
               finish: Callable[[dict[str, Any]], None], failures: list[str]) -> None:
    """Grade every entry; whatever one submission does, every other one still gets its report."""
    if not entries:
        return
    if jobs <= 1 or len(entries) <= 1:
        for entry in entries:
            _finish(finish, grade_entry(plan, entry, hashes), plan, entry, hashes, failures)
        return
    try:
        stopped = _grade_pool(plan, entries, hashes, min(jobs, len(entries)), finish, failures)
        _grade_alone(plan, stopped, hashes, finish, failures)
    finally:  # a judge that died mid-submission left its sandbox folder (and a capped home's memory) behind
        sweep(sandbox_base(), parent=os.getpid())


def _grade_pool(plan: Plan, entries: list[Entry], hashes: dict[str, str], jobs: int,
                finish: Callable[[dict[str, Any]], None], failures: list[str]) -> list[Entry]:
    """Grade in a pool of judges; return the entries a judge that died took with it (not yet graded)."""
    stopped: list[Entry] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                             initializer=start_judge, initargs=(plan,)) as pool:
        futures = {}
        for entry in entries:
            try:
                futures[pool.submit(grade_entry, plan, entry, hashes)] = entry
            except BrokenProcessPool:  # a judge died while the batch was still being handed out
                stopped.append(entry)
        for future in as_completed(futures):
            entry = futures[future]
            try:
                report = future.result()
            except BrokenProcessPool:  # one judge died: every pending entry is marked broken with it
                stopped.append(entry)
                continue
            except Exception as exc:  # the report could not come back: the submission still gets one
                failures.append(f"{entry.id}: {plain(exc, 300)}")
                report = grader_failure(plan, entry, hashes, exc)
            _finish(finish, report, plan, entry, hashes, failures)
    return sorted(stopped, key=lambda e: e.id)


def _grade_alone(plan: Plan, entries: list[Entry], hashes: dict[str, str],
                 finish: Callable[[dict[str, Any]], None], failures: list[str]) -> None:
    """Re-grade entries one at a time in a fresh judge: the one whose judge dies again stopped it."""
    pool: ProcessPoolExecutor | None = None
    try:
        for entry in entries:
            pool = pool or ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"),
                                               initializer=start_judge, initargs=(plan,))
            try:
                report = pool.submit(grade_entry, plan, entry, hashes).result()
            except BrokenProcessPool:
                pool.shutdown(wait=True)
                pool = None
                failures.append(f"{entry.id}: grading it stopped the grader's judge process")
                report = _judge_stopped(plan, entry)
            except Exception as exc:
                failures.append(f"{entry.id}: {plain(exc, 300)}")
                report = grader_failure(plan, entry, hashes, exc)
            _finish(finish, report, plan, entry, hashes, failures)
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def _finish(finish: Callable[[dict[str, Any]], None], report: dict[str, Any], plan: Plan, entry: Entry,
            hashes: dict[str, str], failures: list[str]) -> None:
    """Write one report; if even that fails, write a grader-failure report and carry on with the batch."""
    try:
        finish(report)
    except Exception as exc:  # noqa: BLE001 - one submission must not stop the batch
        failures.append(f"{entry.id}: its report could not be written ({type(exc).__name__})")
        finish(grader_failure(plan, entry, hashes, exc))


def start_judge(plan: Plan) -> None:
    """In each judge process of a pool: start its zygote now (Linux), while the first submission is ingested."""
    if plan.warm:
        current_backend().prestart(Runtime(legacy=plan.legacy), plan.hide, plan.show)


def grade_entry(plan: Plan, entry: Entry, hashes: dict[str, str]) -> dict[str, Any]:
    """Grade one entry in this process and return its report as a dict (picklable across processes)."""
    try:
        report = grade_submission(entry.path, plan, submission_id=entry.id).to_dict()
    except Exception as exc:  # a grader bug must not lose the submission
        return grader_failure(plan, entry, hashes, exc)
    grader_error = isinstance(report.get("error"), dict) and report["error"].get("kind") == "grader"
    report["hashes"] = {} if grader_error else dict(hashes, submission=report["submission"]["sha256"])
    return report  # a grader failure's report is never reused: the next run retries it


def grader_failure(plan: Plan, entry: Entry, hashes: dict[str, str], exc: BaseException) -> dict[str, Any]:
    return _not_graded(plan, entry, "grader", f"The grader failed on this submission ({type(exc).__name__}: "
                                              f"{safe_text(str(exc))[:300]}); it was not graded. Re-run to retry.")


def _judge_stopped(plan: Plan, entry: Entry) -> dict[str, Any]:
    return _not_graded(plan, entry, "judge-stopped", "Grading this submission stopped the grader's own (judge) "
                       "process, twice; it was not graded and your instructor has been told. Re-run to retry.")


def _not_graded(plan: Plan, entry: Entry, kind: str, message: str) -> dict[str, Any]:
    result = GradingResult(
        assignment=plan.assignment.slug, id=entry.id, status="error", seed=plan.seed,
        submission={"path": safe_text(str(entry.path)), "sha256": submission_sha(entry.path), "kind": "unknown"},
        error={"kind": kind, "message": message}, environment=environment(),
    )
    report = result.to_dict()
    report["hashes"] = {}  # never reused: a grader failure is always retried
    return report
