"""One function per command; the CLI only parses arguments and calls these.

`check` (students), `grade` (instructors and CI), `selfcheck` (proves the specs),
`release` (the student bundle) and `merge` (sharded runs).
"""
from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from grader import __version__
from grader.assignments import Assignment, load_assignment
from grader.course.release import hidden_points_or_unknown
from grader.errors import UsageError
from grader.intake.batch import Entry, discover, in_shard, parse_shard, select_ids
from grader.judge.grading import grade_submission
from grader.judge.pool import grade_all, make_plan, specs_hash, submission_sha
from grader.output.check_result import CheckResult, in_notebook
from grader.output.console import Progress, result_table
from grader.output.formats import DEFAULT_FORMATS, FORMATS, render_formats
from grader.intake.identity import IdentityReader
from grader.output.class_folder import (CLASS_FORMATS, Context, Rebuilt, install_settings, previous_summary, rebuild,
                                        rebuild_folder)
from grader.output.exports import Column
from grader.output.report import course_notes, read_report, safe_strings, safe_text, write_json, write_report
from grader.sandbox.backend import NO_SANDBOX, current_backend
from grader.sandbox.workers import Runtime


@dataclass
class GradeRun:
    """What `grade` did: the reports in this run, how many were (re)graded, and the class folder's state."""

    out: Path
    reports: list[dict[str, Any]] = field(default_factory=list)
    graded: int = 0
    reused: int = 0
    grader_failures: list[str] = field(default_factory=list)
    in_folder: int = 0  # reports the folder's summary was built from (this run's and earlier ones)
    warnings: list[str] = field(default_factory=list)


def check(assignment: str, path: str | Path | None = None, *, seed: int | None = None,
          stream: TextIO | None = None, max_mb: float | None = None, devices: str = "cpu",
          keras: str = "3", json_out: str | Path | None = None) -> CheckResult:
    """Run the public specs on one file, print the table, return the report (shown as a table in Jupyter).

    `json_out` also writes the report there (how a notebook's `grader.check` gets it back). The
    report's `hidden` says what the hidden tests add when the work is graded (`tests`, `points`)."""
    spec = load_assignment(assignment)
    target, chosen = (Path(path), None) if path else _default_file(spec)
    target = target.resolve() if target.is_symlink() else target  # the student's own link: followed (grade refuses links)
    plan = make_plan(spec, public_only=True, seed=seed, max_mb=max_mb, devices=devices, keras=keras)
    current_backend().prestart(Runtime(legacy=plan.legacy), plan.hide, plan.show)  # TensorFlow's import overlaps the judge's start-up
    result = grade_submission(target, plan, submission_id=target.stem)
    report = CheckResult(result.to_dict(), hidden=hidden_points_or_unknown(spec))
    if chosen:
        report["extraction"]["notes"] = [chosen, *report["extraction"].get("notes", [])]
    if json_out is not None:
        write_json(Path(json_out), dict(report))
    if stream is not None or not in_notebook():  # in Jupyter the returned result shows itself
        print(result_table(report), file=stream or sys.stdout)
    return report


def check_passed(report: dict[str, Any]) -> bool:
    return report["status"] == "graded" and all(t["outcome"] == "passed" for t in report["tests"])


def _default_file(assignment: Assignment) -> tuple[Path, str | None]:
    """The stub's `.py` or `.ipynb` here; where both are, the one saved last, and a note saying so."""
    found = [Path(n) for n in (assignment.stub, Path(assignment.stub).stem + ".ipynb") if Path(n).is_file()]
    if not found:
        raise UsageError(f"no {assignment.stub} or {Path(assignment.stub).stem}.ipynb in {Path.cwd()}; "
                         "pass the file to check")
    if len(found) == 1:
        return found[0], None
    newer, older = sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)
    return newer, (f"{newer} was checked, not {older}: it was saved more recently (pass the file name to "
                   "check the other one).")


def grade(assignment: str, paths: Iterable[str | Path], *, out: str | Path, jobs: int | None = None,
          formats: Iterable[str] = DEFAULT_FORMATS, seed: int | None = None, force: bool = False,
          shard: str | None = None, max_mb: float | None = None, progress: bool = True,
          stream: TextIO | None = None, devices: str = "auto", keras: str = "3",
          only: Iterable[str] | None = None, roster: str | Path | None = None,
          overrides: str | Path | None = None, late_policy: str | Path | None = None,
          lms_title: str | None = None, lms_id: str | None = None, feedback_hidden: str | None = None,
          allow_unsandboxed: bool = False) -> GradeRun:
    """Grade every submission under `paths` (or the `only` ids among them) into `out`; finished reports are
    kept between runs, and the folder's summary, gradebook, exports and pages are rebuilt from all of them.

    Refuses where nothing would isolate the students' code (`grader.sandbox.backend`, mode "none")
    unless `allow_unsandboxed`: there it would run as the instructor, next to their files."""
    refuse_unsandboxed(allow_unsandboxed)
    spec = load_assignment(assignment)
    formats = _check_formats(formats)
    slice_ = parse_shard(shard)
    out_dir, paths = Path(out), [Path(p) for p in paths]
    install_settings(out_dir, roster=roster, overrides=overrides, late_policy=late_policy)  # checked before grading
    entries = [e for e in discover(paths)
               if in_shard(e, slice_) and e.path.resolve() != out_dir.resolve()]
    entries = entries if only is None else select_ids(entries, only)
    kept = previous_summary(out_dir)
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
    identify = IdentityReader()
    # the folder's earlier formats are kept up to date: a file left from an earlier run would go stale
    earlier = [f for f in kept.get("formats") or () if f in FORMATS or f in CLASS_FORMATS]
    every = tuple(dict.fromkeys([*formats, *earlier]))
    per_report = tuple(f for f in every if f in FORMATS)

    def finish(report: dict[str, Any]) -> None:
        report = safe_strings(report)  # a lone surrogate in a message or a path must not stop the batch
        report.update(safe_strings(identify(Path(report["submission"]["path"])).to_report()))
        render_formats(report, out_dir, per_report)
        write_report(report, out_dir)
        run.reports.append(report)
        run.graded += 1
        if bar:
            bar.update(report["id"], report["status"], report["score"], report["max_score"])

    try:
        grade_all(plan, todo, hashes, jobs or os.cpu_count() or 1, finish, run.grader_failures)
    finally:  # even an interrupted batch leaves a summary, gradebook and class report of what it finished
        column = Column(lms_title or (kept.get("lms") or {}).get("title") or spec.title,
                        lms_id or (kept.get("lms") or {}).get("id"))
        context = Context(assignment=spec.slug, formats=every, column=column, feedback_hidden=feedback_hidden,
                          extra={"seed": plan.seed, "grader": __version__, "shard": shard, "formats": list(every),
                                 "feedback_hidden": kept.get("feedback_hidden")},
                          this_run={e.id for e in entries}, scanned=_scanned(paths))
        rebuilt = rebuild(out_dir, context)
        run.in_folder = len(rebuilt.summary.get("submissions", []))
        run.warnings = rebuilt.warnings + course_failures(run.reports)
    return run


def course_failures(reports: list[dict[str, Any]]) -> list[str]:
    """A warning when the course's own code (specs, probes, stub) failed on this run's submissions."""
    hit = [r for r in reports if course_notes(r)]
    if not hit:
        return []
    first = course_notes(hit[0])[0]
    return [f"the grader could not run some checks of {len(hit)} submission(s): the course's own specs, probes or "
            f"stub failed, not the students' code (their reports' internal_errors; first: {safe_text(first)[:300]}). "
            "Fix the course and grade again: the changed files re-grade every submission."]


def refuse_unsandboxed(allowed: bool) -> None:
    """`grade` runs other people's code: without a sandbox only when the instructor says so."""
    sandbox = current_backend().sandbox()
    if sandbox["mode"] != NO_SANDBOX or allowed:
        return
    why = sandbox.get("reason") or "no Linux namespaces here"
    raise UsageError(f"nothing on this machine would isolate the submissions' code from your files and network "
                     f"({why}): each would run as you, able to read, change or send anything you can. Grade on "
                     "Linux (a CI runner, a container, WSL), or pass --allow-unsandboxed to grade here anyway.")


def _scanned(paths: list[Path]) -> tuple[Path, ...]:
    return tuple(p for p in paths if p.is_dir())


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    chosen = ["json"] + [f.strip() for f in formats if f.strip() and f.strip() != "json"]
    known = (*FORMATS, *CLASS_FORMATS)
    unknown = [f for f in chosen if f not in known]
    if unknown:
        raise UsageError(f"unknown format {unknown[0]!r}; choose from {', '.join(known)}")
    if "html" in chosen:
        require_instructor_extra("the html class report (--format html, on by default)", "--format json,… to skip it")
    if "feedback" in chosen:
        require_instructor_extra("feedback pages (--format feedback)")
    return tuple(dict.fromkeys(chosen))


INSTRUCTOR_PACKAGES = ("jinja2", "matplotlib")  # keras-grader[instructor]: see pyproject.toml


def require_instructor_extra(what: str, instead: str = "") -> None:
    """Fail before any grading when the class report's packages are missing (a student's lean install)."""
    missing = [name for name in INSTRUCTOR_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"{what} needs {' and '.join(missing)}: pip install 'keras-grader[instructor]'"
                         + (f", or use {instead}" if instead else ""))


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
    wanted = dict(hashes, submission=submission_sha(entry.path))
    same = (report.get("hashes") == wanted and str(report.get("seed")) == hashes.get("seed")
            and report["submission"].get("path") == safe_text(str(entry.path)))
    return report if same else None


def selfcheck(assignments: list[str] | None = None, *, jobs: int | None = None, seed: int | None = None,
              seeds: int = 1, stream: TextIO | None = None) -> bool:
    """Under each of `seeds` seeds: solution full, stubs 0, every mutant caught within its clause."""
    from grader.course.selfcheck import run_selfcheck

    return run_selfcheck(list(assignments or []), jobs=jobs, seed=seed, seeds=seeds, stream=stream)


def mutate(assignments: list[str] | None = None, *, jobs: int | None = None, seed: int | None = None,
           seeds: int = 1, sample: int | None = None, survivors: str | Path | None = None,
           stream: TextIO | None = None) -> bool:
    """Mutation analysis: every one-change mutant of each solution must lose points; prints the survivors."""
    if importlib.util.find_spec("cosmic_ray") is None:
        raise UsageError("selfcheck --mutate needs the cosmic-ray package: pip install 'keras-grader[mutate]'")
    from grader.course.mutation import run_mutation

    return run_mutation(list(assignments or []), jobs=jobs, seed=seed, seeds=seeds, sample=sample,
                        out=Path(survivors) if survivors else None, stream=stream)


def new_exercise(name: str, *, course: str | Path | None = None) -> list[Path]:
    """Scaffold exercise `name` in the course: `course`, else $GRADER_COURSE or the course the working folder is in,
    else a new course in the working folder (never the grader's own checkout unless one works inside it)."""
    from grader.assignments import COURSE_ENV, find_course
    from grader.course.scaffold import scaffold

    found = find_course()
    here = found is not None and (found[1] == f"${COURSE_ENV}" or "working folder" in found[1])
    root = Path(course).resolve() if course else found[0] if found and here else Path.cwd().resolve()
    return scaffold(name, root)


def stub_notebooks(assignments: list[str]) -> list[Path]:
    """Write each assignment's `.ipynb` stub from its `.py` stub; return the notebooks written."""
    from grader.course.stub_notebook import write_stub_notebook

    return [write_stub_notebook(load_assignment(slug)) for slug in assignments]


def release(assignments: list[str], *, out: str | Path, zip_to: str | Path | None = None) -> list[Path]:
    """Write the student bundle for `assignments` into `out` (and as a pip-installable zip at `zip_to`)."""
    from grader.course.release import build_release

    return build_release(list(assignments), Path(out), zip_to=Path(zip_to) if zip_to else None)


def merge(dirs: list[str | Path], *, out: str | Path) -> Rebuilt:
    """Merge sharded grade outputs into one class folder, as if graded in one run."""
    require_instructor_extra("grader merge (it writes the class report)")
    from grader.course.merge import merge_dirs

    return merge_dirs([Path(d) for d in dirs], Path(out))


def report(folder: str | Path, *, roster: str | Path | None = None, overrides: str | Path | None = None,
           late_policy: str | Path | None = None) -> Rebuilt:
    """Rebuild a graded folder from its JSON reports: summary, gradebook, exports, similarity, every page;
    with new settings files (roster, overrides, late policy) when given. Nothing is graded again."""
    require_instructor_extra("grader report")
    folder = Path(folder)
    if folder.is_dir():
        install_settings(folder, roster=roster, overrides=overrides, late_policy=late_policy)
    return rebuild_folder(folder)


def gradescope_bundle(assignment: str, *, out: str | Path, hidden_visibility: str = "after_published") -> list[Path]:
    """Write the Gradescope autograder (setup.sh, run_autograder, course files, autograder.zip) into `out`."""
    from grader.course.gradescope import build_bundle

    return build_bundle(assignment, Path(out), hidden_visibility=hidden_visibility)
