"""`grader selfcheck`: prove every spec both ways.

For each assignment: the reference solution scores full marks, both stubs score 0,
every mutant scores below full (and we list the tests that caught it), the
`.py` and `.ipynb` stubs define the same names, and every public spec is also run
when grading.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from grader.batch import Entry
from grader.course import Assignment, list_assignments, load_assignment
from grader.errors import SubmissionError
from grader.extract import extract
from grader.grading import collect
from grader.ingest import ingest


@dataclass(frozen=True)
class Case:
    """One file selfcheck grades, and what its score must be."""

    label: str
    path: Path
    expect: str  # full | zero | below


@dataclass(frozen=True)
class Verdict:
    case: Case
    score: float
    max_score: float
    ok: bool
    detail: str


def cases(assignment: Assignment) -> list[Case]:
    out = []
    if assignment.solution is not None and assignment.solution.exists():
        out.append(Case("solution", assignment.solution, "full"))
    out.append(Case("stub .py", assignment.stub_py, "zero"))
    if assignment.stub_ipynb.exists():
        out.append(Case("stub .ipynb", assignment.stub_ipynb, "zero"))
    out += [Case(f"mutant {m.stem}", m, "below") for m in assignment.mutants]
    return out


def judge_case(case: Case, report: dict[str, Any]) -> Verdict:
    score, top = report["score"], report["max_score"]
    lost = [t["name"] for t in report["tests"] if t["score"] < t["points"]]
    if case.expect == "full":
        ok = report["status"] == "graded" and score == top and top > 0
        detail = "full marks" if ok else f"lost points on: {', '.join(lost) or report.get('error')}"
    elif case.expect == "zero":
        ok = score == 0
        detail = "scores 0" if ok else f"passes: {', '.join(t['name'] for t in report['tests'] if t['score'] > 0)}"
    else:
        ok = score < top
        detail = f"caught by: {', '.join(lost)}" if ok else "NOT caught by any test"
    return Verdict(case, score, top, ok, detail)


def structure_problems(assignment: Assignment) -> list[str]:
    """Stubs that disagree on names; public specs missing from grading; missing files."""
    problems = []
    if assignment.solution is None or not assignment.solution.exists():
        problems.append("no reference solution")
    if not assignment.stub_ipynb.exists():
        problems.append(f"no notebook stub {assignment.stub_ipynb.name}")
    else:
        py, nb = (_names(p, assignment.stub) for p in (assignment.stub_py, assignment.stub_ipynb))
        if py != nb:
            problems.append(f"the .py stub defines {sorted(py)} but the notebook defines {sorted(nb)}")
    missing = [n for n in assignment.names if n not in _names(assignment.stub_py, assignment.stub)]
    if missing:
        problems.append(f"the stub does not define {missing}")
    public = {n for n, _, _ in collect(tuple(assignment.public_specs), {})}
    hidden = {n for n, _, _ in collect(tuple(assignment.hidden_specs), {})} if assignment.hidden_specs else set()
    if public & hidden:
        problems.append(f"public and hidden specs share test names {sorted(public & hidden)}")
    if not assignment.mutants:
        problems.append("no mutants")
    return problems


def _names(path: Path, stub: str) -> set[str]:
    try:
        extracted = extract(ingest(path, stub))
    except SubmissionError as exc:
        return {f"<unreadable: {exc.message}>"}
    return {n for n in extracted.defined if not n.startswith("_") and n not in ("tf", "np", "keras")}


def run_selfcheck(slugs: list[str], *, jobs: int | None, seed: int | None, stream: TextIO | None = None) -> bool:
    """Grade every case of every assignment; print a table; True when all is as it must be."""
    from grader.api import grade_entry, make_plan, specs_hash
    from grader.api import _grade_all  # the batch engine grade uses

    stream = stream or sys.stdout
    all_ok = True
    for slug in slugs or list_assignments():
        assignment = load_assignment(slug)
        plan = make_plan(assignment, public_only=False, seed=seed)
        todo = cases(assignment)
        reports: dict[str, dict[str, Any]] = {}
        entries = [Entry(f"{i:03d}", c.path) for i, c in enumerate(todo)]
        _grade_all(plan, entries, {"specs": specs_hash(plan)}, jobs or 2,
                   lambda r: reports.__setitem__(r["id"], r), [])
        verdicts = [judge_case(c, reports[e.id]) for c, e in zip(todo, entries)]
        problems = structure_problems(assignment)
        all_ok &= all(v.ok for v in verdicts) and not problems
        _print(stream, assignment, plan.seed, verdicts, problems)
    print("selfcheck: " + ("all good" if all_ok else "FAILED"), file=stream)
    return all_ok


def _print(stream: TextIO, assignment: Assignment, seed: int, verdicts: list[Verdict], problems: list[str]) -> None:
    print(f"\n{assignment.slug} (seed {seed})", file=stream)
    for v in verdicts:
        mark = "ok " if v.ok else "BAD"
        print(f"  {mark} {v.case.label:<34} {v.score:>5g}/{v.max_score:<5g} {v.detail}", file=stream)
    for problem in problems:
        print(f"  BAD {problem}", file=stream)
