"""The README's points table is checked against the specs by selfcheck, and written by `grader new`."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.assignments import load_assignment
from grader.course.points_table import read_rows, render, spec_rows, table_problems

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def concat(tmp_path):
    """A copy of concat's public half and hidden specs, whose README a test may break."""
    shutil.copytree(ROOT / "assignments" / "concat", tmp_path / "assignments" / "concat")
    shutil.copytree(ROOT / "solutions" / "concat" / "hidden", tmp_path / "solutions" / "concat" / "hidden")
    return load_assignment("concat", tmp_path)


def edit(assignment, old, new):
    readme = assignment.folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert old in text
    readme.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_true_table_has_no_problems_and_reads_back_as_rendered(concat):
    assert table_problems(concat) == []
    rows = read_rows((concat.folder / "README.md").read_text(encoding="utf-8"))
    assert rows[0] == ("output shape of `ConcatBlock(Dense(3), Dense(5))`", "what `call` returns", 1.0, True)
    assert read_rows(render(rows)) == rows
    assert render(rows).startswith("## How it is graded (10 points)\n| test | clause | points | public |\n")


@pytest.mark.parametrize("old, new, said", [
    ("| the `axis` argument is used | what `call` returns | 1 | hidden |", "| the `axis` argument is used | what "
     "`call` returns | 2 | hidden |", "does not match the specs: the specs have 1 × 1 points hidden more; the table "
     "has 1 × 2 points hidden more"),
    ("| what `call` returns | 1.5 | yes |", "| what `call` returns | 1.5 | hidden |", "1 × 1.5 points public more"),
    ("| the `axis` argument is used | what `call` returns |", "| the `axis` argument is used | the axis |",
     "has 3 clause labels for the specs' 2 clauses"),
    ("## How it is graded (10 points)", "## How it is graded (12 points)",
     "says the exercise is worth 12 points; its specs give 10"),
    ("| test | clause | points | public |", "| what | clause | points | public |", "README.md has no points table"),
    ("| 1 | hidden |\n", "| one | hidden |\n", "a row's points are not a number"),
])
def test_each_way_a_table_can_be_wrong_is_named(concat, old, new, said):
    edit(concat, old, new)
    problems = table_problems(concat)
    assert len(problems) == 1 and said in problems[0], problems


def test_a_test_added_to_the_specs_without_a_row_is_found(concat):
    hidden = concat.solutions / "hidden" / "test_extra.py"
    hidden.write_text("from grader.spec import points\n\n\n@points(0.5)\ndef test_extra_check(submission):\n"
                      "    pass\n")
    assert ("test_extra_check", "test_extra_check", 0.5, False) in spec_rows(concat)
    assert "the specs have 1 × 0.5 points hidden more" in table_problems(concat)[0]
