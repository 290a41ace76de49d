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
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TextIO

from grader import __version__
from grader.batch import Entry, discover, in_shard, parse_shard
from grader.console import Progress, result_table
from grader.course import Assignment, load_assignment
from grader.errors import UsageError
from grader.formats import FORMATS, render_formats
from grader.grading import Plan, environment, grade_submission
from grader.report import read_report, summary_entry, write_gradebook, write_report, write_summary
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
                max_bytes=max_bytes, warm=warm, hide=hide, legs=plan_legs(devices, detect_gpus()),
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
          keras: str = "3") -> dict[str, Any]:
    """Run the public specs on one file, print the table, return the report."""
    spec = load_assignment(assignment)
    target = Path(path) if path else _default_file(spec)
    plan = make_plan(spec, public_only=True, seed=seed, max_mb=max_mb, devices=devices, keras=keras)
    process_zygote(runtime=Runtime(legacy=plan.legacy), hide=plan.hide)  # TensorFlow's import in the zygote overlaps the judge's start-up
    result = grade_submission(target, plan, submission_id=target.stem)
    report = result.to_dict()
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
          formats: Iterable[str] = ("json",), seed: int | None = None, force: bool = False,
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
        render_formats(report, out_dir, formats)
        write_report(report, out_dir)
        run.reports.append(report)
        run.graded += 1
        if bar:
            bar.update(report["id"], report["status"], report["score"], report["max_score"])

    _grade_all(plan, todo, hashes, jobs or os.cpu_count() or 1, finish, run.grader_failures)
    entries_out = [summary_entry(r, _report_files(r["id"], formats)) for r in run.reports]
    write_summary(out_dir, spec.slug, entries_out, {"seed": plan.seed, "grader": __version__,
                                                     "shard": shard, "formats": list(formats)})
    write_gradebook(out_dir, run.reports)
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
    if report is None:
        return None
    wanted = dict(hashes, submission=_sha(entry.path))
    same = (report.get("hashes") == wanted and str(report.get("seed")) == hashes.get("seed")
            and report["submission"].get("path") == str(entry.path))
    return report if same else None


def _sha(path: Path) -> str:
    from grader.grading import _safe_sha

    return _safe_sha(path)


def _grade_all(plan: Plan, entries: list[Entry], hashes: dict[str, str], jobs: int,
               finish: Callable[[dict[str, Any]], None], failures: list[str]) -> None:
    if not entries:
        return
    if jobs <= 1 or len(entries) <= 1:
        for entry in entries:
            finish(grade_entry(plan, entry, hashes))
        return
    with ProcessPoolExecutor(max_workers=min(jobs, len(entries)), mp_context=get_context("spawn"),
                             initializer=_start_judge, initargs=(plan,)) as pool:
        futures = {pool.submit(grade_entry, plan, entry, hashes): entry for entry in entries}
        for future in as_completed(futures):
            entry = futures[future]
            try:
                finish(future.result())
            except Exception as exc:  # a judge process died: the submission still gets a report
                failures.append(f"{entry.id}: {exc}")
                finish(_grader_failure(plan, entry, hashes, exc))


def _start_judge(plan: Plan) -> None:
    """In each judge process of a pool: start its zygote now, while the first submission is ingested."""
    if plan.warm:
        process_zygote(runtime=Runtime(legacy=plan.legacy), hide=plan.hide)


def grade_entry(plan: Plan, entry: Entry, hashes: dict[str, str]) -> dict[str, Any]:
    """Grade one entry in this process and return its report as a dict (picklable across processes)."""
    try:
        result = grade_submission(entry.path, plan, submission_id=entry.id)
    except Exception as exc:  # a grader bug must not lose the submission
        return _grader_failure(plan, entry, hashes, exc)
    report = result.to_dict()
    report["hashes"] = dict(hashes, submission=report["submission"]["sha256"])
    return report


def _grader_failure(plan: Plan, entry: Entry, hashes: dict[str, str], exc: BaseException) -> dict[str, Any]:
    result = GradingResult(
        assignment=plan.assignment.slug, id=entry.id, status="error", seed=plan.seed,
        submission={"path": str(entry.path), "sha256": _sha(entry.path), "kind": "unknown"},
        error={"kind": "grader", "message": f"The grader failed on this submission ({type(exc).__name__}: "
                                            f"{str(exc)[:300]}); it was not graded. Re-run to retry."},
        environment=environment(),
    )
    report = result.to_dict()
    report["hashes"] = {}  # never reused: a grader failure is always retried
    return report


def selfcheck(assignments: list[str] | None = None, *, jobs: int | None = None, seed: int | None = None,
              seeds: int = 1, stream: TextIO | None = None) -> bool:
    """Under each of `seeds` seeds: solution full, stubs 0, every mutant caught within its clause."""
    from grader.selfcheck import run_selfcheck

    return run_selfcheck(list(assignments or []), jobs=jobs, seed=seed, seeds=seeds, stream=stream)


def release(assignments: list[str], *, out: str | Path) -> list[Path]:
    """Write the student bundle for `assignments` into `out`."""
    from grader.release import build_release

    return build_release(list(assignments), Path(out))


def merge(dirs: list[str | Path], *, out: str | Path) -> list[dict[str, Any]]:
    """Merge sharded grade outputs into one summary and gradebook."""
    from grader.merge import merge_dirs

    return merge_dirs([Path(d) for d in dirs], Path(out))


def gradescope_bundle(assignment: str, *, out: str | Path, hidden_visibility: str = "after_published") -> list[Path]:
    """Write the Gradescope autograder (setup.sh, run_autograder, course files, autograder.zip) into `out`."""
    from grader.gradescope import build_bundle

    return build_bundle(assignment, Path(out), hidden_visibility=hidden_visibility)
