"""Incremental regrading and resuming: only what changed is graded again."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from grader.api import grade
from grader.course.assignments import load_assignment
from grader.judge.pool import make_plan, specs_hash

ROOT = Path(__file__).resolve().parent.parent


def test_only_changed_submissions_are_regraded_and_half_runs_resume(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(ROOT / "solutions" / "concat" / "solution.py", folder / "a.py")
    shutil.copy(ROOT / "solutions" / "concat" / "mutants" / "sums.py", folder / "b.py")
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
    shutil.copy(ROOT / "solutions" / "concat" / "mutants" / "sums.py", tmp_path / "b.py")
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
