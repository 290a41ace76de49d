"""Incremental regrading and resuming: only what changed is graded again."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.api import grade
from grader.errors import UsageError
from grader.assignments import load_assignment
from grader.course.mutants import mutant_source
from grader.judge.pool import make_plan, specs_hash

ROOT = Path(__file__).resolve().parent.parent
SUMS = mutant_source(ROOT / "solutions" / "concat" / "mutants" / "sums.diff", ROOT / "solutions" / "concat" / "solution.py")


def test_only_changed_submissions_are_regraded_and_half_runs_resume(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(ROOT / "solutions" / "concat" / "solution.py", folder / "a.py")
    (folder / "b.py").write_text(SUMS)
    out = tmp_path / "out"
    first = grade("concat", [folder], out=out, seed=5, progress=False, jobs=1)
    assert (first.graded, first.reused) == (2, 0)
    assert (grade("concat", [folder], out=out, progress=False).graded, ) == (0,)
    (folder / "b.py").write_text((folder / "a.py").read_text())  # b fixes the code
    (out / "a.json").unlink()  # as if the batch had been killed before a's report
    third = grade("concat", [folder], out=out, progress=False, jobs=1)
    assert (third.graded, third.reused) == (2, 0)  # a: report lost; b: changed
    assert json.loads((out / "b.json").read_text())["score"] == 10
    assert not list(out.glob(".*.tmp"))
    assert grade("concat", [folder], out=out, progress=False, force=True).graded == 2


def test_a_changed_spec_changes_the_hash(tmp_path, monkeypatch):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "assignments" / "concat", course / "assignments" / "concat")
    shutil.copytree(ROOT / "solutions" / "concat", course / "solutions" / "concat")
    before = specs_hash(make_plan(load_assignment("concat", course), public_only=False, seed=1))
    spec = course / "solutions" / "concat" / "hidden" / "test_hidden.py"
    spec.write_text(spec.read_text() + "\n# a new check\n")
    after = specs_hash(make_plan(load_assignment("concat", course), public_only=False, seed=1))
    assert before != after


def test_another_seed_regrades_and_every_report_records_its_seed(tmp_path):
    (tmp_path / "b.py").write_text(SUMS)
    out = tmp_path / "out"
    assert grade("concat", [tmp_path / "b.py"], out=out, seed=5, progress=False, jobs=1).graded == 1
    again = grade("concat", [tmp_path / "b.py"], out=out, seed=6, progress=False, jobs=1)
    assert (again.graded, again.reused) == (1, 0)  # graded under seed 5: not a seed-6 grade
    assert json.loads((out / "b.json").read_text())["seed"] == 6
    assert json.loads((out / "summary.json").read_text())["seed"] == 6
    (out / "summary.json").unlink()  # as if killed before the summary: the reports still name the seed
    resumed = grade("concat", [tmp_path / "b.py"], out=out, progress=False, jobs=1)
    assert (resumed.graded, resumed.reused) == (0, 1)
    assert json.loads((out / "summary.json").read_text())["seed"] == 6


def test_regrading_one_or_only_some_keeps_the_class(tmp_path):
    """Grading a subset into a class's folder updates those reports and rebuilds everything from all of them."""
    import csv

    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(ROOT / "solutions" / "concat" / "solution.py", folder / "alice.py")
    (folder / "bob.py").write_text(SUMS)
    shutil.copy(ROOT / "examples" / "submissions" / "concat" / "carol_notebook.ipynb", folder / "carol.ipynb")
    out = tmp_path / "out"
    (tmp_path / "overrides.csv").write_text("carol,-1,copied cell 3 from a classmate,,Prof. Lee\n", encoding="utf-8")
    (tmp_path / "roster.csv").write_text("Student,ID,SIS User ID,SIS Login ID,Section\n" + "".join(
        f"{name.title()},{n},S{n},{name},A\n" for n, name in enumerate(("alice", "bob", "carol"))), encoding="utf-8")
    grade("concat", [folder], out=out, seed=5, progress=False, jobs=1, overrides=tmp_path / "overrides.csv",
          roster=tmp_path / "roster.csv", formats=("json", "html", "canvas"))
    rows = lambda: {r["id"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows()["bob"]["score"] != "10" and rows()["carol"]["final_score"] == "9"

    (folder / "bob.py").write_text((folder / "alice.py").read_text())  # bob's regrade request: he fixed it
    one = grade("concat", [folder / "bob.py"], out=out, progress=False, jobs=1, force=True)
    assert (one.graded, one.in_folder, [r["id"] for r in one.reports]) == (1, 3, ["bob"])
    assert sorted(rows()) == ["alice", "bob", "carol"] and rows()["bob"]["score"] == "10"
    assert rows()["carol"]["final_score"] == "9"  # the override survives a regrade with --force
    summary = json.loads((out / "summary.json").read_text())
    assert [e["id"] for e in summary["submissions"]] == ["alice", "bob", "carol"] and summary["seed"] == 5
    assert [e["in_this_run"] for e in summary["submissions"]] == [False, True, False]
    assert not any(e["missing"] for e in summary["submissions"])
    canvas = list(csv.reader((out / "canvas-grades.csv").open(encoding="utf-8-sig")))[2:]  # after the points row
    assert [(r[0], r[-1]) for r in canvas] == [("Alice", "10"), ("Bob", "10"), ("Carol", "9")]
    assert "carol" in (out / "index.html").read_text()

    only = grade("concat", [folder], out=out, progress=False, jobs=1, force=True, only=["alice"])
    assert (only.graded, only.reused, only.in_folder) == (1, 0, 3)
    with pytest.raises(UsageError, match="--only: no submission 'alcie' in the paths given; did you mean alice"):
        grade("concat", [folder], out=out, progress=False, jobs=1, only=["alcie"])

    (folder / "carol.ipynb").unlink()  # gone from the class folder: its report is kept, and it says so
    again = grade("concat", [folder], out=out, progress=False, jobs=1)
    assert (again.graded, again.reused, again.in_folder) == (0, 2, 3)
    carol = next(e for e in json.loads((out / "summary.json").read_text())["submissions"] if e["id"] == "carol")
    assert carol["missing"] and carol["final_score"] == 9.0
    assert "carol</a>: its submission is no longer in the folder graded" in (out / "index.html").read_text()
