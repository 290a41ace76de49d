"""selfcheck --mutate: mutants are stable and valid, equivalents are kept honest, survivors are reported.

The end-to-end tests use the small `scale` course in tests/data/mutation/: its public spec
only ever feeds 2s, so `X + self.factor` (2 + 2 == 2 * 2) survives it; with the fixed spec
added as a hidden spec, nothing survives.
"""
from __future__ import annotations

import ast
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from grader import cli
from grader.assignments import list_assignments, load_assignment
from grader.course.mutation import analyse, choose, generate, read_equivalents, run_mutation
from grader.errors import UsageError

DATA = Path(__file__).resolve().parents[1] / "data" / "mutation"
REPO = Path(__file__).resolve().parents[2]
WEAK_SURVIVOR = "ReplaceBinaryOperator_Mul_Add:13:18:0"


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the test course, made the course the grader (and its workers) sees."""
    root = tmp_path / "course"
    shutil.copytree(DATA / "course", root)
    monkeypatch.setenv("GRADER_COURSE", str(root))
    return root


@pytest.mark.parametrize("slug", list_assignments(REPO))
def test_every_solution_gives_stable_valid_mutants(slug):
    assignment = load_assignment(slug, REPO)
    source = assignment.solution.read_text(encoding="utf-8")
    first, again = generate(source), generate(source)
    assert [m.id for m in first] == [m.id for m in again] and first
    stale = set(read_equivalents(assignment)) - {m.id for m in first}
    assert not stale, f"{slug}: equivalent_mutants.toml lists mutants the solution no longer has: {stale}"
    assert len({m.id for m in first}) == len(first)
    assert len({m.source for m in first}) == len(first)
    for mutant in first:
        ast.parse(mutant.source)
        assert mutant.source != source and mutant.diff.startswith("@@")
        op, line, col, n = mutant.id.split(":")
        assert (op, int(line), int(col)) == (mutant.operator, mutant.line, mutant.col) and int(n) >= 0


def test_the_weak_spec_survivor_is_where_the_id_says():
    source = (DATA / "course" / "solutions" / "scale" / "solution.py").read_text(encoding="utf-8")
    mutant = next(m for m in generate(source) if m.id == WEAK_SURVIVOR)
    assert mutant.source.splitlines()[12] == "        return X + self.factor"
    assert source.splitlines()[12][mutant.col - 1] == "*"


def test_sample_is_a_deterministic_subset_in_order():
    mutants = generate("def f(a, b):\n    return a + b * 2 - 1\n")
    picked = choose(mutants, sample=3, seed=5)
    assert picked == choose(mutants, sample=3, seed=5) and len(picked) == 3
    assert picked == sorted(picked, key=mutants.index)
    assert choose(mutants, sample=None, seed=5) == mutants


def fake_grader(full_marks: set[str] | None = None, reference_score: float = 1.0):
    """Stands in for the batch engine: a mutant scores full marks when its changed line is in
    `full_marks`; the solution scores `reference_score` of 1."""
    def grade(plan: Any, entries: list[Any], hashes: dict[str, str], jobs: int, finish, failures) -> None:
        solution = plan.assignment.solution.read_text(encoding="utf-8")
        for entry in entries:
            text = entry.path.read_text(encoding="utf-8")
            changed = {line.strip() for line in set(text.splitlines()) - set(solution.splitlines())}
            score = reference_score if text == solution else float(bool(changed & (full_marks or set())))
            finish({"id": entry.id, "status": "graded", "score": score, "max_score": 1.0, "error": None,
                    "tests": [{"name": "test_doubles", "score": score, "points": 1.0}]})
    return grade


def write_equivalents(course: Path, table: dict[str, str]) -> None:
    lines = ["[equivalent]"] + [f'"{k}" = "{v}"' for k, v in table.items()]
    (course / "solutions" / "scale" / "equivalent_mutants.toml").write_text("\n".join(lines) + "\n")


def test_survivors_equivalents_and_stale_entries(course):
    write_equivalents(course, {
        "ReturnChanged:13:9:1": "claimed equivalent, but the spec catches it",
        "NumberReplacer:8:31:0": "kept equivalent: it survives",
        "NumberReplacer:99:1:0": "no such mutant any more",
    })
    grade = fake_grader({"return X + self.factor", "def __init__(self, factor= 3):"})
    analysis = analyse("scale", jobs=1, seeds=[1], root=course, grade=grade)
    assert [o.mutant.id for o in analysis.survivors] == [WEAK_SURVIVOR]
    assert analysis.generated == 9 and len(analysis.graded) == 7
    assert len(analysis.problems) == 2 and not analysis.ok
    stale, caught = analysis.problems
    assert stale.startswith("NumberReplacer:99:1:0 is listed") and "no longer exists" in stale
    assert caught.startswith("ReturnChanged:13:9:1 is listed as equivalent but is caught by test_doubles")


def test_every_seed_must_let_a_survivor_through(course):
    calls = iter([{"return X + self.factor"}, set()])

    def grade(plan, entries, hashes, jobs, finish, failures):
        fake_grader(next(calls))(plan, entries, hashes, jobs, finish, failures)

    analysis = analyse("scale", jobs=1, seeds=[1, 2], root=course, grade=grade)
    assert analysis.survivors == [] and analysis.ok


def test_a_grader_failure_is_a_problem_not_a_catch(course):
    def grade(plan, entries, hashes, jobs, finish, failures):
        def crashing(report):
            if report["id"] != "solution":
                report = dict(report, status="error", score=0.0, error={"kind": "grader", "message": "judge died"})
            finish(report)
        fake_grader({"return X + self.factor"})(plan, entries, hashes, jobs, crashing, failures)

    analysis = analyse("scale", jobs=1, seeds=[1], root=course, grade=grade)
    assert analysis.survivors == analysis.graded == [] and not analysis.ok
    assert len(analysis.problems) == 9 and "the grader failed on" in analysis.problems[0]


def test_a_reference_below_full_marks_fails_the_analysis(course):
    analysis = analyse("scale", jobs=1, seeds=[4], root=course, grade=fake_grader(reference_score=0.5))
    assert any("reference solution does not score full marks" in p for p in analysis.problems)


def test_an_equivalent_without_a_reason_is_a_usage_error(course):
    write_equivalents(course, {"NumberReplacer:8:31:0": " "})
    with pytest.raises(UsageError, match="needs a one-line reason"):
        read_equivalents(load_assignment("scale", course))


def test_cli_rejects_zero_seeds(course, capsys):
    assert cli.main(["selfcheck", "--mutate", "scale", "--seeds", "0"]) == 2
    assert "--seeds must be at least 1" in capsys.readouterr().err


def test_weak_spec_reports_its_survivor_and_the_fixed_spec_none(course, tmp_path):
    """Done means (issue 11): graded for real, with warm workers, two at a time."""
    out, survivors = io.StringIO(), tmp_path / "survivors.json"
    assert not run_mutation(["scale"], jobs=2, seed=3, out=survivors, stream=out)
    text = out.getvalue()
    assert f"SURVIVED {WEAK_SURVIVOR}  line 13, column 18" in text, text
    assert "+        return X + self.factor" in text and "mutation score 8/9 (89%)" in text
    assert text.rstrip().endswith(f"mutation analysis: FAILED (the survivors are in {survivors})")
    reported = json.loads(survivors.read_text())["assignments"][0]
    assert [s["id"] for s in reported["survivors"]] == [WEAK_SURVIVOR]
    assert (reported["generated"], reported["caught"], reported["problems"]) == (9, 8, [])

    (course / "solutions" / "scale" / "hidden").mkdir()
    shutil.copy(DATA / "fixed_spec.py", course / "solutions" / "scale" / "hidden" / "test_fixed.py")
    out = io.StringIO()
    assert run_mutation(["scale"], jobs=2, seed=3, out=survivors, stream=out), out.getvalue()
    assert "mutation score 9/9 (100%)" in out.getvalue()
    assert out.getvalue().rstrip().endswith(f"mutation analysis: no survivors (the run is recorded in {survivors})")
    assert json.loads(survivors.read_text())["assignments"][0]["survivors"] == []


@pytest.mark.slow
def test_quick_subset_of_every_assignment(tmp_path):
    """CI's sample of the real analysis (issue 11): one mutant per assignment, picked by seed 7,
    graded in one process so TensorFlow starts once. The full run is in the README."""
    survivors = tmp_path / "survivors.json"
    done = subprocess.run([sys.executable, "-m", "grader", "selfcheck", "--mutate", "--sample", "1", "--jobs", "1",
                           "--seed", "7", "--survivors", str(survivors)],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    analysed = json.loads(survivors.read_text())["assignments"]
    assert [a["assignment"] for a in analysed] == list_assignments(REPO)
    assert all(a["graded"] + a["equivalent"] == 1 and a["survivors"] == [] for a in analysed)
