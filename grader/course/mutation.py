"""`grader selfcheck --mutate`: what the specs let through.

Each mutant is the reference solution changed by one operator at one place
(`grader.course.mutation_operators`, applied with cosmic-ray's machinery). Every mutant is
graded like a submission, with the batch engine `grade` uses; a mutant that scores
full marks under every seed is a **survivor**: a mistake no spec notices. Mutants
that cannot change behaviour are listed, with a reason, in
`solutions/<slug>/equivalent_mutants.toml`; a listed mutant that no longer exists or
is in fact caught makes the check fail, so the list cannot go stale.
"""
from __future__ import annotations

import ast
import difflib
import json
import random
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from cosmic_ray.ast import ast_nodes, get_ast
from cosmic_ray.mutating import mutate_code

from grader.assignments import Assignment, list_assignments, load_assignment
from grader.course.mutation_operators import all_operators
from grader.errors import UsageError
from grader.intake.batch import Entry

EQUIVALENTS_FILE = "equivalent_mutants.toml"
DEFAULT_SURVIVORS = Path("mutation-survivors.json")
SCHEMA = "grader-mutation/1"


@dataclass(frozen=True)
class Mutant:
    """The solution changed at one place: `id` is `operator:line:column:n`, both counted from 1 as
    editors do, and n from 0 over that operator's mutations at that place."""

    id: str
    operator: str
    line: int
    col: int
    source: str
    diff: str

    @property
    def changed_line(self) -> str:
        """The mutated line(s) as they read after the change, for a one-line listing."""
        added = [d[1:].strip() for d in self.diff.splitlines() if d.startswith("+") and not d.startswith("+++")]
        return " / ".join(added) or "(line deleted)"


@dataclass
class Outcome:
    """What grading did to one mutant: the scores under each seed and the tests that caught it."""

    mutant: Mutant
    equivalent: str | None = None  # the reason it is listed as equivalent
    scores: list[tuple[float, float]] = field(default_factory=list)
    caught_by: list[str] = field(default_factory=list)

    @property
    def caught(self) -> bool:
        return any(score < top for score, top in self.scores)


@dataclass
class Analysis:
    """The result for one assignment."""

    slug: str
    seeds: list[int]
    generated: int
    outcomes: list[Outcome]
    problems: list[str]
    seconds: float = 0.0

    @property
    def survivors(self) -> list[Outcome]:
        return [o for o in self.graded if not o.caught]

    @property
    def graded(self) -> list[Outcome]:
        """The non-equivalent mutants that got a verdict (a grader failure is a problem, not a verdict)."""
        return [o for o in self.outcomes if o.equivalent is None and o.scores]

    @property
    def ok(self) -> bool:
        return not self.survivors and not self.problems


def generate(source: str) -> list[Mutant]:
    """Every mutant of `source`, one operator at one place, in a fixed order.

    Mutants that do not parse, change nothing, or repeat an earlier mutant's code are dropped.
    """
    seen = {_normalized(source)}
    mutants = []
    for name, operator_class in all_operators().items():
        operator = operator_class()
        places: dict[tuple[int, int], int] = {}
        for occurrence, (line, col) in enumerate(_positions(source, operator)):
            n = places[(line, col)] = places.get((line, col), -1) + 1
            code = mutate_code(source, operator, occurrence)
            key = _normalized(code) if code is not None else None
            if key is None or key in seen:
                continue
            seen.add(key)
            mutants.append(Mutant(f"{name}:{line}:{col + 1}:{n}", name, line, col + 1, code, _diff(source, code)))
    return mutants


def _positions(source: str, operator: Any) -> list[tuple[int, int]]:
    return [start for node in ast_nodes(get_ast(source)) for start, _ in operator.mutation_positions(node)]


def _normalized(code: str) -> str | None:
    """The code's AST dump (so layout-only changes count as the same), or None if it does not parse."""
    try:
        return ast.dump(ast.parse(code))
    except (SyntaxError, ValueError):
        return None


def _diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "solution.py", "mutant", n=0, lineterm="")
    return "\n".join(list(lines)[2:])


def read_equivalents(assignment: Assignment) -> dict[str, str]:
    """`solutions/<slug>/equivalent_mutants.toml`: `[equivalent]` table of mutant id -> one-line reason."""
    path = assignment.solutions / EQUIVALENTS_FILE if assignment.solutions else None
    if path is None or not path.exists():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", {})
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    bad = [k for k, v in table.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise UsageError(f"{path}: every equivalent mutant needs a one-line reason; missing for {bad[0]!r}")
    return dict(table)


def choose(mutants: list[Mutant], *, sample: int | None, seed: int) -> list[Mutant]:
    """All mutants, or `sample` of them picked with `seed`, in their listed order."""
    if sample is None or sample >= len(mutants):
        return mutants
    chosen = random.Random(seed).sample(mutants, sample)
    return sorted(chosen, key=mutants.index)


def analyse(slug: str, *, jobs: int, seeds: list[int], sample: int | None = None,
            root: Path | None = None, grade: Callable[..., None] | None = None) -> Analysis:
    """Generate, grade and judge the mutants of one assignment."""
    started = time.monotonic()
    assignment = load_assignment(slug, root)
    if assignment.solution is None or not assignment.solution.exists():
        return Analysis(slug, seeds, 0, [], ["no reference solution to mutate"])
    mutants = generate(assignment.solution.read_text(encoding="utf-8"))
    equivalents = read_equivalents(assignment)
    known = {m.id for m in mutants}
    problems = [f"{i} is listed in {EQUIVALENTS_FILE} but no longer exists (was the solution changed?)"
                for i in equivalents if i not in known]
    chosen = choose(mutants, sample=sample, seed=seeds[0])
    outcomes = [Outcome(m, equivalents.get(m.id)) for m in chosen]
    problems += _grade(assignment, outcomes, jobs=jobs, seeds=seeds, grade=grade)
    problems += [f"{o.mutant.id} is listed as equivalent but is caught by {', '.join(o.caught_by)}: "
                 f"remove it from {EQUIVALENTS_FILE}" for o in outcomes if o.equivalent and o.caught]
    return Analysis(slug, seeds, len(mutants), outcomes, problems, time.monotonic() - started)


def _grade(assignment: Assignment, outcomes: list[Outcome], *, jobs: int, seeds: list[int],
           grade: Callable[..., None] | None) -> list[str]:
    """Grade the solution and every mutant under each seed; record scores on the outcomes."""
    from grader.judge.pool import grade_all, make_plan, specs_hash

    problems = []
    with tempfile.TemporaryDirectory(prefix="grader-mutants-") as tmp:
        entries = _write(Path(tmp), assignment, outcomes)
        for seed in seeds:
            plan = make_plan(assignment, public_only=False, seed=seed)  # devices "auto", as `grade` does
            reports: dict[str, dict[str, Any]] = {}
            (grade or grade_all)(plan, entries, {"specs": specs_hash(plan)}, jobs,
                                  lambda r: reports.__setitem__(r["id"], r), [])
            reference = reports["solution"]
            if reference["status"] != "graded" or reference["score"] < reference["max_score"]:
                problems.append(f"seed {seed}: the reference solution does not score full marks "
                                f"({reference['score']:g}/{reference['max_score']:g}); run plain selfcheck first")
            for outcome, entry in zip(outcomes, entries[1:]):
                if _grader_failed(reports[entry.id]):  # not a verdict on the mutant: never counts as caught
                    problems.append(f"seed {seed}: the grader failed on {outcome.mutant.id}; it was not graded")
                else:
                    _record(outcome, reports[entry.id])
    return problems


def _grader_failed(report: dict[str, Any]) -> bool:
    return report["status"] != "graded" and (report.get("error") or {}).get("kind") == "grader"


def _write(folder: Path, assignment: Assignment, outcomes: list[Outcome]) -> list[Entry]:
    """The solution and each mutant as a file; the entry ids are file names, the solution first."""
    entries = [Entry("solution", folder / "solution.py")]
    entries[0].path.write_text(assignment.solution.read_text(encoding="utf-8"), encoding="utf-8")
    for i, outcome in enumerate(outcomes):
        entry = Entry(f"m{i:04d}", folder / f"m{i:04d}.py")
        entry.path.write_text(outcome.mutant.source, encoding="utf-8")
        entries.append(entry)
    return entries


def _record(outcome: Outcome, report: dict[str, Any]) -> None:
    outcome.scores.append((float(report["score"]), float(report["max_score"])))
    if report["status"] != "graded":
        outcome.caught_by.append(f"({report['error']['kind'] if report.get('error') else 'error'})")
    for test in report["tests"]:
        if test["score"] < test["points"] and test["name"] not in outcome.caught_by:
            outcome.caught_by.append(test["name"])


def run_mutation(slugs: list[str], *, jobs: int | None, seed: int | None, seeds: int = 1,
                 sample: int | None = None, out: Path | None = None, stream: TextIO | None = None,
                 root: Path | None = None) -> bool:
    """`selfcheck --mutate`: analyse each assignment, print the results, write the survivors' JSON."""
    from grader.judge.pool import new_seed

    if seeds < 1:
        raise UsageError(f"--seeds must be at least 1, got {seeds}")
    if sample is not None and sample < 1:
        raise UsageError(f"--sample must be at least 1, got {sample}")
    stream = stream or sys.stdout
    first = new_seed() if seed is None else seed
    analyses = []
    for slug in slugs or list_assignments(root):
        analysis = analyse(slug, jobs=jobs or 2, seeds=[first + i for i in range(seeds)], sample=sample, root=root)
        print_analysis(analysis, stream)
        analyses.append(analysis)
    path = out or DEFAULT_SURVIVORS
    write_survivors(path, analyses)
    ok = all(a.ok for a in analyses)
    verdict = "no survivors (the run is recorded in" if ok else "FAILED (the survivors are in"
    print(f"mutation analysis: {verdict} {path})", file=stream)
    return ok


def mutation_score(analysis: Analysis) -> str:
    graded = len(analysis.graded)
    caught = graded - len(analysis.survivors)
    return f"{caught}/{graded}" + (f" ({100 * caught / graded:.0f}%)" if graded else "")


def print_analysis(analysis: Analysis, stream: TextIO) -> None:
    equivalent = sum(1 for o in analysis.outcomes if o.equivalent)
    print(f"\n{analysis.slug} (seeds {', '.join(map(str, analysis.seeds))}): {analysis.generated} mutants generated, "
          f"{len(analysis.outcomes)} graded, {equivalent} equivalent, mutation score {mutation_score(analysis)}, "
          f"{analysis.seconds:.0f} s", file=stream)
    for outcome in analysis.survivors:
        m = outcome.mutant
        print(f"  SURVIVED {m.id}  line {m.line}, column {m.col}", file=stream)
        for line in m.diff.splitlines():
            print(f"      {line}", file=stream)
    for problem in analysis.problems:
        print(f"  BAD {problem}", file=stream)


def write_survivors(path: Path, analyses: list[Analysis]) -> None:
    data = {"schema": SCHEMA, "assignments": [_as_json(a) for a in analyses]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _as_json(analysis: Analysis) -> dict[str, Any]:
    graded = analysis.graded
    return {
        "assignment": analysis.slug, "seeds": analysis.seeds, "generated": analysis.generated,
        "graded": len(graded), "equivalent": sum(1 for o in analysis.outcomes if o.equivalent),
        "caught": len(graded) - len(analysis.survivors), "seconds": round(analysis.seconds, 1),
        "problems": analysis.problems,
        "survivors": [{"id": o.mutant.id, "operator": o.mutant.operator, "line": o.mutant.line,
                       "column": o.mutant.col, "change": o.mutant.changed_line, "diff": o.mutant.diff}
                      for o in analysis.survivors],
    }
