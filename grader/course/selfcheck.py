"""`grader selfcheck`: prove every spec both ways, on every seed asked for.

For each assignment, under each of N seeds: the reference solution scores full marks, both
stubs score 0, and every mutant loses points, only in the tests its docstring's `Fails:`
line names. One mistake costs one clause: the tests a `Fails:` line names must all check
the same contract sentence (`grader.spec.clause`; a test without the marker is a clause of
its own). Also: the `.py` and `.ipynb` stubs define the same names, the stub defines every name
`assignment.toml` and the probes ask of a submission, no test name is both public and hidden, and
the README's points table agrees with the specs (`grader.course.points_table`). A case on which the
course's own code failed (an internal error: a probe or spec bug) is wrong whatever it scored.
Where a case goes wrong, the failing tests' messages and the internal errors are printed.

Seeds: with `--seed S` the seeds are S, S + 1000, S + 2000, ...; without, S is drawn at random
(printed, so a failure can be reproduced). Workers seed TensorFlow with the run's seed plus the
call number, so seeds 1000 apart never share a worker seed within a submission.
"""
from __future__ import annotations

import dataclasses
import re
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TextIO

from grader.assignments import Assignment, list_assignments, load_assignment
from grader.course.mutants import docstring, materialize, mutant_source
from grader.course.points_table import table_problems
from grader.course.scaffold import TODO_MARKER, todo_lines
from grader.errors import SubmissionError, UsageError
from grader.intake.batch import Entry
from grader.intake.extract import extract
from grader.intake.ingest import ingest
from grader.intake.selection import probe_names
from grader.judge.grading import collect_clauses
from grader.judge.plan import Plan
from grader.judge.runner import base_name
from grader.output.report import course_notes

SEED_STEP = 1000


@dataclass(frozen=True)
class Case:
    """One file selfcheck grades, and what its score must be on every seed.

    `fails` is a mutant's clause: the tests it may lose points in. None means unconstrained
    (a mutant that only has to be caught); an empty set means the mutant declares nothing,
    which is an error for a hand-written mutant.
    """

    label: str
    path: Path
    expect: str  # full | zero | below
    fails: frozenset[str] | None = None


@dataclass(frozen=True)
class Verdict:
    """How one case fared over all seeds."""

    case: Case
    scores: tuple[float, ...]
    max_score: float
    ok: bool
    detail: str
    messages: tuple[str, ...] = ()  # where it went wrong: "seed S, test: message" of the tests concerned


def seed_list(seed: int | None, count: int) -> list[int]:
    """`count` seeds from `seed` (or a fresh one): seed, seed + 1000, ..."""
    from grader.judge.pool import new_seed

    if count < 1:
        raise UsageError(f"--seeds must be at least 1, got {count}")
    base = new_seed() if seed is None else seed
    return [base + SEED_STEP * i for i in range(count)]


def declared_fails(path: Path) -> frozenset[str]:
    """The test names on the `Fails:` line of a mutant's docstring (empty when there is none); a diff mutant's
    docstring is its text before the diff (`grader.course.mutants`)."""
    try:
        doc = docstring(path)
    except (OSError, UsageError):
        return frozenset()
    match = re.search(r"^Fails:(.*?)(?:\n\s*\n|\Z)", doc, flags=re.MULTILINE | re.DOTALL)
    if not match:
        return frozenset()
    return frozenset(name for name in re.split(r"[,\s]+", match[1]) if name)


def cases(assignment: Assignment) -> list[Case]:
    out = []
    if assignment.solution is not None and assignment.solution.exists():
        out.append(Case("solution", assignment.solution, "full"))
    out.append(Case("stub .py", assignment.stub_py, "zero"))
    if assignment.stub_ipynb.exists():
        out.append(Case("stub .ipynb", assignment.stub_ipynb, "zero"))
    out += [Case(f"mutant {m.stem}", m, "below", declared_fails(m)) for m in assignment.mutants]
    return out


def lost_tests(report: dict[str, Any]) -> list[str]:
    return [base_name(t["name"]) for t in report["tests"] if t["score"] < t["points"]]


def judge_case(case: Case, reports: Sequence[dict[str, Any]]) -> Verdict:
    """The verdict on one case from its reports, one per seed."""
    scores = tuple(float(r["score"]) for r in reports)
    top = max((float(r["max_score"]) for r in reports), default=0.0)
    if case.expect == "full":
        bad = [r for r in reports if not (r["status"] == "graded" and r["score"] == r["max_score"] > 0)]
        detail = _full_detail(bad, len(reports))
    elif case.expect == "zero":
        bad = [r for r in reports if r["score"] != 0]
        detail = _zero_detail(bad, len(reports))
    else:
        bad, detail = _mutant_detail(case, reports)
    faults = [r for r in reports if course_notes(r)]  # the course's own code failed: nothing it scored means anything
    if faults:
        detail += (f"; the course's own specs, probes or stub failed on {len(faults)}/{len(reports)} seeds "
                   "(internal errors below)")
    ok = not bad and not faults and bool(reports)
    notes = tuple(f"seed {faults[0]['seed']}, internal error: {note[:400]}" for note in course_notes(faults[0])) if faults else ()
    return Verdict(case, scores, top, ok=ok, detail=detail, messages=() if ok else notes + _messages(case, reports))


def _messages(case: Case, reports: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    """What the tests said on the first seed where the case went wrong: the tests that lost points (for a
    mutant, those outside its Fails: line), or the error that stopped the grading. (A stub that
    scores is named in the detail: a passing test says nothing.)"""
    if case.expect == "zero":
        return ()
    for report in reports:
        lost = [t for t in report["tests"] if t["score"] < t["points"]]
        if case.expect == "below" and case.fails:
            lost = [t for t in lost if base_name(t["name"]) not in case.fails]
        if lost:
            return tuple(f"seed {report['seed']}, {t['name']}: {str(t.get('message', ''))[:300]}" for t in lost)
        if report.get("error") and case.expect == "full":
            return (f"seed {report['seed']}: {str(report['error'].get('message', ''))[:300]}",)
    return ()


def _full_detail(bad: list[dict[str, Any]], total: int) -> str:
    if not bad:
        return f"full marks on {total}/{total} seeds"
    worst = bad[0]
    lost = ", ".join(lost_tests(worst)) or str((worst.get("error") or {}).get("message", ""))[:200]
    return f"below full on {len(bad)}/{total} seeds (seed {worst['seed']}: lost points on {lost})"


def _zero_detail(bad: list[dict[str, Any]], total: int) -> str:
    if not bad:
        return f"scores 0 on {total}/{total} seeds"
    passes = ", ".join(base_name(t["name"]) for t in bad[0]["tests"] if t["score"] > 0)
    return f"scores above 0 on {len(bad)}/{total} seeds (seed {bad[0]['seed']}: passes {passes})"


def _mutant_detail(case: Case, reports: Sequence[dict[str, Any]]) -> tuple[list[Any], str]:
    total = len(reports)
    escaped = [r["seed"] for r in reports if not lost_tests(r)]
    counts: dict[str, int] = {}
    for report in reports:
        for name in dict.fromkeys(lost_tests(report)):
            counts[name] = counts.get(name, 0) + 1
    by = ", ".join(f"{name} ({n})" for name, n in counts.items())
    detail = f"caught on {total - len(escaped)}/{total} seeds" + (f" by: {by}" if by else "")
    problems: list[Any] = []
    if escaped:
        problems.append(escaped)
        detail += f"; NOT caught on seed(s) {', '.join(map(str, escaped))}"
    if case.fails is not None and not case.fails:
        problems.append("no Fails")
        detail += "; its docstring has no 'Fails:' line naming the tests it must fail"
    elif case.fails is not None:
        outside = sorted(set(counts) - case.fails)
        if outside:
            problems.append(outside)
            detail += f"; loses points outside its Fails: list, in {', '.join(outside)}"
    return problems, detail


def structure_problems(assignment: Assignment, the_cases: Sequence[Case] = ()) -> list[str]:
    """Stubs that disagree on names; shared test names; missing files; Fails: naming no test."""
    problems = []
    if assignment.solution is None or not assignment.solution.exists():
        problems.append("no reference solution")
    remake = f"make it from the .py stub with `grader stub-notebook {assignment.slug}`"
    if not assignment.stub_ipynb.exists():
        problems.append(f"no notebook stub {assignment.stub_ipynb.name}: {remake}")
    else:
        py, nb = (_names(p, assignment.stub) for p in (assignment.stub_py, assignment.stub_ipynb))
        if py != nb:
            problems.append(f"the .py stub defines {sorted(py)} but the notebook defines {sorted(nb)}: {remake}")
    defined = _names(assignment.stub_py, assignment.stub)
    missing = [n for n in assignment.names if n not in defined]
    if missing:
        problems.append(f"the stub {assignment.stub} does not define {', '.join(missing)}, which assignment.toml's "
                        "`names` lists: a typo in one of them? (graded, such a name is an internal error)")
    read = sorted(n for n in probe_names(assignment.probes) if n not in defined)
    if read:
        problems.append(f"probes.py reads {', '.join(read)} from the submission, which the stub {assignment.stub} "
                        "does not define")
    public = collect_clauses(tuple(assignment.public_specs))
    hidden = collect_clauses(tuple(assignment.hidden_specs)) if assignment.hidden_specs else {}
    if public.keys() & hidden.keys():
        problems.append(f"public and hidden specs share test names {sorted(public.keys() & hidden.keys())}")
    if not assignment.mutants:
        problems.append("no mutants")
    problems += table_problems(assignment)
    folders = [assignment.folder] + ([assignment.solutions] if assignment.solutions else [])
    problems += [f"{TODO_MARKER} left at {line}" for line in todo_lines(folders)]
    clauses = {base_name(n): c for n, c in (public | hidden).items()}
    problems += [f"{case.label}: {problem}" for case in the_cases if (problem := unusable(case, assignment))]
    for case in the_cases:
        unknown = sorted((case.fails or frozenset()) - clauses.keys())
        if unknown:
            problems.append(f"{case.label}: its Fails: line names no such test: {', '.join(unknown)}")
        spanned = clause_spans(case.fails or frozenset(), clauses)
        if len(spanned) > 1:
            listed = "; ".join(f"\"{clause}\" ({', '.join(tests)})" for clause, tests in spanned.items())
            problems.append(f"{case.label}: one mistake should cost one clause, but its Fails: line spans "
                            f"{len(spanned)}: {listed}")
    return problems


def unusable(case: Case, assignment: Assignment) -> str | None:
    """Why a diff mutant cannot be graded (it does not apply to the solution), or None."""
    if case.path.suffix != ".diff" or assignment.solution is None or not assignment.solution.exists():
        return None
    try:
        mutant_source(case.path, assignment.solution)
    except (OSError, UsageError) as exc:
        return str(exc).replace(str(case.path), case.path.name)
    return None


def clause_spans(fails: frozenset[str], clauses: dict[str, str]) -> dict[str, list[str]]:
    """The clauses a Fails: line's tests check, each with its tests (unknown tests are left out)."""
    spans: dict[str, list[str]] = {}
    for test in sorted(fails & clauses.keys()):
        spans.setdefault(clauses[test], []).append(test)
    return spans


def _names(path: Path, stub: str) -> set[str]:
    try:
        extracted = extract(ingest(path, stub))
    except SubmissionError as exc:
        return {f"<unreadable: {exc.message}>"}
    return {n for n in extracted.defined if not n.startswith("_") and n not in ("tf", "np", "keras")}


def grade_cases(plan: Plan, the_cases: Sequence[Case], seeds: Sequence[int], jobs: int) -> list[list[dict[str, Any]]]:
    """Grade every case under every seed (one judge pool for all); reports[case][seed index]."""
    with tempfile.TemporaryDirectory(prefix="grader-mutants-") as folder:  # diff mutants, as the code they stand for
        paths = [_graded_path(case, plan.assignment, Path(folder)) for case in the_cases]
        return _grade_paths(plan, paths, seeds, jobs)


def _graded_path(case: Case, assignment: Assignment, folder: Path) -> Path:
    if assignment.solution is None or not case.label.startswith("mutant "):
        return case.path
    return materialize(case.path, assignment.solution, folder)


def _grade_paths(plan: Plan, paths: Sequence[Path], seeds: Sequence[int], jobs: int) -> list[list[dict[str, Any]]]:
    from grader.judge.pool import grade_entry
    from grader.judge.pool import grader_failure as _grader_failure
    from grader.judge.pool import start_judge as _start_judge

    work = [(dataclasses.replace(plan, seed=seed), Entry(f"{i:03d}-{k}", path))
            for k, seed in enumerate(seeds) for i, path in enumerate(paths)]
    hashes: dict[str, str] = {}
    reports: dict[str, dict[str, Any]] = {}
    if jobs <= 1 or len(work) <= 1:
        for one_plan, entry in work:
            reports[entry.id] = grade_entry(one_plan, entry, hashes)
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(work)), mp_context=get_context("spawn"),
                                 initializer=_start_judge, initargs=(plan,)) as pool:
            futures = {pool.submit(grade_entry, p, e, hashes): (p, e) for p, e in work}
            for future in as_completed(futures):
                one_plan, entry = futures[future]
                try:
                    reports[entry.id] = future.result()
                except Exception as exc:  # a judge died: this case's report says so, and it counts as wrong
                    reports[entry.id] = _grader_failure(one_plan, entry, hashes, exc)
    return [[reports[f"{i:03d}-{k}"] for k in range(len(seeds))] for i in range(len(paths))]


def check_cases(assignment: Assignment, the_cases: Sequence[Case], seeds: Sequence[int],
                jobs: int) -> list[Verdict]:
    """Grade `the_cases` of `assignment` under every seed; one verdict per case."""
    from grader.judge.pool import make_plan

    plan = make_plan(assignment, public_only=False, seed=seeds[0])
    per_case = grade_cases(plan, the_cases, seeds, jobs)
    return [judge_case(case, reports) for case, reports in zip(the_cases, per_case)]


def run_selfcheck(slugs: list[str], *, jobs: int | None, seed: int | None, seeds: int = 1,
                  stream: TextIO | None = None) -> bool:
    """Grade every case of every assignment under `seeds` seeds; print a table; True when all is right."""
    stream = stream or sys.stdout
    seed_values = seed_list(seed, seeds)
    all_ok = True
    for slug in slugs or list_assignments():
        assignment = load_assignment(slug)
        todo = cases(assignment)
        problems = structure_problems(assignment, todo)
        verdicts = check_cases(assignment, [c for c in todo if not unusable(c, assignment)], seed_values, jobs or 2)
        all_ok &= all(v.ok for v in verdicts) and not problems
        _print(stream, assignment, seed_values, verdicts, problems)
    print("selfcheck: " + ("all good" if all_ok else "FAILED"), file=stream)
    return all_ok


def _print(stream: TextIO, assignment: Assignment, seeds: Sequence[int], verdicts: list[Verdict],
           problems: list[str]) -> None:
    print(f"\n{assignment.slug} (seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))})", file=stream)
    for v in verdicts:
        mark = "ok " if v.ok else "BAD"
        low, high = (min(v.scores), max(v.scores)) if v.scores else (0.0, 0.0)
        score = f"{low:g}" if low == high else f"{low:g}-{high:g}"
        print(f"  {mark} {v.case.label:<34} {score:>9}/{v.max_score:<5g} {v.detail}", file=stream)
        for message in v.messages:
            print(f"        {message}", file=stream)
    for problem in problems:
        print(f"  BAD {problem}", file=stream)
