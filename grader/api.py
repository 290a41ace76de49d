"""One function per command; the CLI only parses arguments and calls these.

`check` (students), `grade` (instructors and CI), `selfcheck` (proves the specs),
`release` (the student bundle) and `merge` (sharded runs).
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import os
import secrets
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TextIO

from grader import __version__
from grader.batch import Entry, discover, in_shard, parse_shard
from grader.check_result import CheckResult, in_notebook
from grader.console import Progress, plain, result_table
from grader.course import Assignment, load_assignment
from grader.errors import UsageError
from grader.formats import DEFAULT_FORMATS, FORMATS, render_formats
from grader.grading import Plan, environment, grade_submission
from grader.report import (read_report, safe_strings, safe_text, summary_entry, write_gradebook, write_json,
                           write_report, write_summary)
from grader.score import GradingResult
from grader.devices import detect_gpus, plan_legs
from grader.sandbox import Runtime
from grader.zygote import process_zygote


@dataclass
class GradeRun:
    """What `grade` did: the reports in this run, and how many were (re)graded."""

    out: Path
    reports: list[dict[str, Any]] = field(default_factory=list)
    graded: int = 0
    reused: int = 0
    grader_failures: list[str] = field(default_factory=list)


def make_plan(assignment: Assignment, *, public_only: bool, seed: int | None, max_mb: float | None = None,
              warm: bool = True, devices: str = "auto", keras: str = "3") -> Plan:
    specs = assignment.public_specs if public_only else assignment.public_specs + assignment.hidden_specs
    if not specs:
        raise UsageError(f"assignment {assignment.slug!r} has no specs")
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


def specs_hash(plan: Plan) -> str:
    """Changes whenever anything that decides a grade changes: specs, probes, config, grader, versions."""
    digest = hashlib.sha256()
    folder = plan.assignment.folder
    for path in [*plan.specs, plan.assignment.probes, folder / "assignment.toml"]:
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    digest.update(repr(sorted(environment().items())).encode())
    return digest.hexdigest()


def check(assignment: str, path: str | Path | None = None, *, seed: int | None = None,
          stream: TextIO | None = None, max_mb: float | None = None, devices: str = "cpu",
          keras: str = "3", json_out: str | Path | None = None) -> CheckResult:
    """Run the public specs on one file, print the table, return the report (shown as a table in Jupyter).

    `json_out` also writes the report there (how a notebook's `grader.check` gets it back)."""
    spec = load_assignment(assignment)
    target = Path(path) if path else _default_file(spec)
    plan = make_plan(spec, public_only=True, seed=seed, max_mb=max_mb, devices=devices, keras=keras)
    process_zygote(runtime=Runtime(legacy=plan.legacy), hide=plan.hide, show=plan.show)  # TensorFlow's import in the zygote overlaps the judge's start-up
    result = grade_submission(target, plan, submission_id=target.stem)
    report = CheckResult(result.to_dict())
    if json_out is not None:
        write_json(Path(json_out), dict(report))
    if stream is not None or not in_notebook():  # in Jupyter the returned result shows itself
        print(result_table(report), file=stream or sys.stdout)
    return report


def check_passed(report: dict[str, Any]) -> bool:
    return report["status"] == "graded" and all(t["outcome"] == "passed" for t in report["tests"])


def _default_file(assignment: Assignment) -> Path:
    for name in (assignment.stub, Path(assignment.stub).stem + ".ipynb"):
        if Path(name).exists():
            return Path(name)
    raise UsageError(f"no {assignment.stub} in {Path.cwd()}; pass the file to check")


def grade(assignment: str, paths: Iterable[str | Path], *, out: str | Path, jobs: int | None = None,
          formats: Iterable[str] = DEFAULT_FORMATS, seed: int | None = None, force: bool = False,
          shard: str | None = None, max_mb: float | None = None, progress: bool = True,
          stream: TextIO | None = None, devices: str = "auto", keras: str = "3") -> GradeRun:
    """Grade every submission under `paths` into `out`; finished reports are kept between runs."""
    spec = load_assignment(assignment)
    formats = _check_formats(formats)
    slice_ = parse_shard(shard)
    out_dir = Path(out)
    entries = [e for e in discover([Path(p) for p in paths])
               if in_shard(e, slice_) and e.path.resolve() != out_dir.resolve()]
    out_dir.mkdir(parents=True, exist_ok=True)
    seed = _previous_seed(out_dir) if seed is None else seed
    plan = make_plan(spec, public_only=False, seed=seed, max_mb=max_mb, devices=devices, keras=keras)
    plan = dataclasses.replace(plan, hide=(*plan.hide, str(out_dir.resolve())))
    hashes = {"specs": specs_hash(plan), "seed": str(plan.seed)}  # another seed is another grade
    run = GradeRun(out=out_dir)
    todo = []
    for entry in entries:
        previous = None if force else _reusable(out_dir, entry, hashes)
        if previous is not None:
            run.reports.append(previous)
            run.reused += 1
        else:
            todo.append(entry)
    bar = Progress(len(entries), stream) if progress else None
    for report in run.reports:
        if bar:
            bar.update(report["id"], report["status"], report["score"], report["max_score"], skipped=True)

    def finish(report: dict[str, Any]) -> None:
        report = safe_strings(report)  # a lone surrogate in a message or a path must not stop the batch
        render_formats(report, out_dir, formats)
        write_report(report, out_dir)
        run.reports.append(report)
        run.graded += 1
        if bar:
            bar.update(report["id"], report["status"], report["score"], report["max_score"])

    try:
        _grade_all(plan, todo, hashes, jobs or os.cpu_count() or 1, finish, run.grader_failures)
    finally:  # even an interrupted batch leaves a summary, gradebook and class report of what it finished
        entries_out = [summary_entry(r, _report_files(r["id"], formats)) for r in run.reports]
        summary = write_summary(out_dir, spec.slug, entries_out, {"seed": plan.seed, "grader": __version__,
                                                                   "shard": shard, "formats": list(formats)},
                                reports=run.reports)
        write_gradebook(out_dir, run.reports)
        if "html" in formats:
            from grader.html_report import write_html

            write_html(out_dir, summary, run.reports)
    return run


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    chosen = ["json"] + [f.strip() for f in formats if f.strip() and f.strip() != "json"]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise UsageError(f"unknown format {unknown[0]!r}; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(chosen))


def _report_files(submission_id: str, formats: tuple[str, ...]) -> dict[str, str]:
    return {f: FORMATS[f].file_name(submission_id) for f in formats}


def _previous_seed(out: Path) -> int | None:
    """Without `--seed`, a run into an earlier run's `--out` keeps its seed (so it can reuse its reports):
    the seed in summary.json, else the one most reports there were graded under; None for a new folder."""
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = None
    if isinstance(summary, dict) and type(summary.get("seed")) is int:
        return int(summary["seed"])
    seeds = Counter(r.get("seed") for r in map(read_report, sorted(out.glob("*.json"))) if r is not None)
    found = [(n, s) for s, n in seeds.items() if type(s) is int]
    return max(found)[1] if found else None


def _reusable(out: Path, entry: Entry, hashes: dict[str, str]) -> dict[str, Any] | None:
    report = read_report(out / f"{entry.id}.json")
    if report is None or not isinstance(report.get("submission"), dict):
        return None
    wanted = dict(hashes, submission=_sha(entry.path))
    same = (report.get("hashes") == wanted and str(report.get("seed")) == hashes.get("seed")
            and report["submission"].get("path") == safe_text(str(entry.path)))
    return report if same else None


def _sha(path: Path) -> str:
    from grader.grading import _safe_sha

    return _safe_sha(path)


def _grade_all(plan: Plan, entries: list[Entry], hashes: dict[str, str], jobs: int,
               finish: Callable[[dict[str, Any]], None], failures: list[str]) -> None:
    """Grade every entry; whatever one submission does, every other one still gets its report."""
    if not entries:
        return
    if jobs <= 1 or len(entries) <= 1:
        for entry in entries:
            _finish(finish, grade_entry(plan, entry, hashes), plan, entry, hashes, failures)
        return
    stopped = _grade_pool(plan, entries, hashes, min(jobs, len(entries)), finish, failures)
    _grade_alone(plan, stopped, hashes, finish, failures)


def _grade_pool(plan: Plan, entries: list[Entry], hashes: dict[str, str], jobs: int,
                finish: Callable[[dict[str, Any]], None], failures: list[str]) -> list[Entry]:
    """Grade in a pool of judges; return the entries a judge that died took with it (not yet graded)."""
    stopped: list[Entry] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                             initializer=_start_judge, initargs=(plan,)) as pool:
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
                report = _grader_failure(plan, entry, hashes, exc)
            _finish(finish, report, plan, entry, hashes, failures)
    return sorted(stopped, key=lambda e: e.id)


def _grade_alone(plan: Plan, entries: list[Entry], hashes: dict[str, str],
                 finish: Callable[[dict[str, Any]], None], failures: list[str]) -> None:
    """Re-grade entries one at a time in a fresh judge: the one whose judge dies again stopped it."""
    pool: ProcessPoolExecutor | None = None
    try:
        for entry in entries:
            pool = pool or ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"),
                                               initializer=_start_judge, initargs=(plan,))
            try:
                report = pool.submit(grade_entry, plan, entry, hashes).result()
            except BrokenProcessPool:
                pool.shutdown(wait=True)
                pool = None
                failures.append(f"{entry.id}: grading it stopped the grader's judge process")
                report = _judge_stopped(plan, entry)
            except Exception as exc:
                failures.append(f"{entry.id}: {plain(exc, 300)}")
                report = _grader_failure(plan, entry, hashes, exc)
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
        finish(_grader_failure(plan, entry, hashes, exc))


def _start_judge(plan: Plan) -> None:
    """In each judge process of a pool: start its zygote now, while the first submission is ingested."""
    if plan.warm:
        process_zygote(runtime=Runtime(legacy=plan.legacy), hide=plan.hide, show=plan.show)


def grade_entry(plan: Plan, entry: Entry, hashes: dict[str, str]) -> dict[str, Any]:
    """Grade one entry in this process and return its report as a dict (picklable across processes)."""
    try:
        report = grade_submission(entry.path, plan, submission_id=entry.id).to_dict()
    except Exception as exc:  # a grader bug must not lose the submission
        return _grader_failure(plan, entry, hashes, exc)
    report["hashes"] = dict(hashes, submission=report["submission"]["sha256"])
    return report


def _grader_failure(plan: Plan, entry: Entry, hashes: dict[str, str], exc: BaseException) -> dict[str, Any]:
    return _not_graded(plan, entry, "grader", f"The grader failed on this submission ({type(exc).__name__}: "
                                              f"{safe_text(str(exc))[:300]}); it was not graded. Re-run to retry.")


def _judge_stopped(plan: Plan, entry: Entry) -> dict[str, Any]:
    return _not_graded(plan, entry, "judge-stopped", "Grading this submission stopped the grader's own (judge) "
                       "process, twice; it was not graded and your instructor has been told. Re-run to retry.")


def _not_graded(plan: Plan, entry: Entry, kind: str, message: str) -> dict[str, Any]:
    result = GradingResult(
        assignment=plan.assignment.slug, id=entry.id, status="error", seed=plan.seed,
        submission={"path": safe_text(str(entry.path)), "sha256": _sha(entry.path), "kind": "unknown"},
        error={"kind": kind, "message": message}, environment=environment(),
    )
    report = result.to_dict()
    report["hashes"] = {}  # never reused: a grader failure is always retried
    return report


def selfcheck(assignments: list[str] | None = None, *, jobs: int | None = None, seed: int | None = None,
              seeds: int = 1, stream: TextIO | None = None) -> bool:
    """Under each of `seeds` seeds: solution full, stubs 0, every mutant caught within its clause."""
    from grader.selfcheck import run_selfcheck

    return run_selfcheck(list(assignments or []), jobs=jobs, seed=seed, seeds=seeds, stream=stream)


def mutate(assignments: list[str] | None = None, *, jobs: int | None = None, seed: int | None = None,
           seeds: int = 1, sample: int | None = None, survivors: str | Path | None = None,
           stream: TextIO | None = None) -> bool:
    """Mutation analysis: every one-change mutant of each solution must lose points; prints the survivors."""
    if importlib.util.find_spec("cosmic_ray") is None:
        raise UsageError("selfcheck --mutate needs the cosmic-ray package: pip install 'keras-grader[mutate]'")
    from grader.mutation import run_mutation

    return run_mutation(list(assignments or []), jobs=jobs, seed=seed, seeds=seeds, sample=sample,
                        out=Path(survivors) if survivors else None, stream=stream)


def release(assignments: list[str], *, out: str | Path) -> list[Path]:
    """Write the student bundle for `assignments` into `out`."""
    from grader.release import build_release

    return build_release(list(assignments), Path(out))


def merge(dirs: list[str | Path], *, out: str | Path) -> list[dict[str, Any]]:
    """Merge sharded grade outputs into one summary and gradebook."""
    from grader.merge import merge_dirs

    return merge_dirs([Path(d) for d in dirs], Path(out))


def report(folder: str | Path) -> tuple[Path, list[str]]:
    """Re-render the class report (`index.html` and a page per submission) from the JSON reports in `folder`.

    Returns the index's path and the ids of reports too malformed to render."""
    from grader.html_report import render_folder

    return render_folder(Path(folder))


def gradescope_bundle(assignment: str, *, out: str | Path, hidden_visibility: str = "after_published") -> list[Path]:
    """Write the Gradescope autograder (setup.sh, run_autograder, course files, autograder.zip) into `out`."""
    from grader.gradescope import build_bundle

    return build_bundle(assignment, Path(out), hidden_visibility=hidden_visibility)
