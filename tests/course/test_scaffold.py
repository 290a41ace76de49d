"""`grader new`: a complete exercise whose selfcheck fails only on its AUTHOR-TODO markers."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.api import new_exercise, release
from grader.cli import main
from grader.assignments import COURSE_ENV, load_assignment
from grader.course.scaffold import TODO_MARKER, check_slug, todo_lines
from grader.course.selfcheck import cases, check_cases, structure_problems
from grader.course.stub_notebook import write_stub_notebook
from grader.errors import UsageError


def test_a_new_exercise_proves_itself_and_fails_only_on_its_todos(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(COURSE_ENV, str(tmp_path))
    assert main(["new", "scale", "--course", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("new exercise scale: 9 files, a working example to make your own:\n")
    assert "Replace every AUTHOR-TODO (grader selfcheck scale lists those left)" in printed
    guide = printed.splitlines()[-1].removeprefix("The guide: ")
    assert Path(guide).is_file() and guide.endswith("docs/authoring.md")  # where this source checkout has it
    assignment = load_assignment("scale", tmp_path)
    for path in [assignment.stub_py, assignment.stub_ipynb, assignment.probes, *assignment.public_specs,
                 *assignment.hidden_specs, assignment.solution, *assignment.mutants, assignment.folder / "README.md"]:
        assert path.is_file(), path
    assert [m.name for m in assignment.mutants] == ["adds.diff"]
    todo = cases(assignment)
    verdicts = check_cases(assignment, todo, [5], jobs=2)
    assert [(v.case.label, v.ok) for v in verdicts] == [("solution", True), ("stub .py", True), ("stub .ipynb", True),
                                                        ("mutant adds", True)], [v.detail for v in verdicts]
    assert verdicts[0].scores == (6.0,) and "by: test_output_values (1), test_factor_is_used (1)" in verdicts[3].detail
    problems = structure_problems(assignment, todo)
    assert problems and all(p.startswith(f"{TODO_MARKER} left at {tmp_path}") for p in problems), problems
    assert len(problems) == 9  # toml, README, stub, its notebook, probes, two specs, solution, mutant
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".ipynb":
            path.write_text(path.read_text(encoding="utf-8").replace(f"{TODO_MARKER}: ", ""), encoding="utf-8")
    write_stub_notebook(assignment)
    assert structure_problems(assignment, cases(assignment)) == []


def test_release_refuses_an_exercise_with_todos_left(tmp_path, monkeypatch):
    monkeypatch.setenv(COURSE_ENV, str(tmp_path))
    new_exercise("scale", course=tmp_path)
    with pytest.raises(UsageError, match=r"not released: AUTHOR-TODO markers are left in what students would get .*"
                                         r"README.md:3: AUTHOR-TODO: describe"):
        release(["scale"], out=tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


def test_where_a_new_exercise_goes(tmp_path, monkeypatch):
    """The course the working folder is in (or $GRADER_COURSE); outside any, a new course right here."""
    monkeypatch.delenv(COURSE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    first = new_exercise("first")
    assert first[0] == tmp_path / "assignments" / "first" / "assignment.toml"
    monkeypatch.chdir(tmp_path / "solutions" / "first" / "mutants")
    assert new_exercise("second")[0] == tmp_path / "assignments" / "second" / "assignment.toml"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv(COURSE_ENV, str(elsewhere))
    assert new_exercise("third")[0] == elsewhere / "assignments" / "third" / "assignment.toml"


@pytest.mark.parametrize("name", ["Dropout", "my-layer", "2d", "class", "", "x" * 41, "../up"])
def test_a_name_that_cannot_be_an_exercise_is_refused(tmp_path, name):
    with pytest.raises(UsageError, match="cannot name an exercise"):
        check_slug(name, tmp_path)


def test_an_existing_exercise_is_never_overwritten(tmp_path):
    new_exercise("scale", course=tmp_path)
    stub = tmp_path / "assignments" / "scale" / "scale.py"
    stub.write_text("mine\n")
    with pytest.raises(UsageError, match="already has"):
        new_exercise("scale", course=tmp_path)
    (tmp_path / "assignments" / "scale").rename(tmp_path / "moved")
    with pytest.raises(UsageError, match="already has .*solutions/scale"):
        new_exercise("scale", course=tmp_path)
    assert (tmp_path / "moved" / "scale.py").read_text() == "mine\n"


def test_todo_lines_name_file_and_line(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n# AUTHOR-TODO: finish\n")
    (tmp_path / "b.ipynb").write_text('{"source": "AUTHOR-TODO"}')
    (tmp_path / "c.bin").write_bytes(b"\xff\xfe AUTHOR-TODO")
    assert todo_lines([tmp_path]) == [f"{tmp_path / 'a.py'}:2: # AUTHOR-TODO: finish",
                                      f"{tmp_path / 'b.ipynb'}: AUTHOR-TODO (it comes from the .py stub: "
                                      "`grader stub-notebook` remakes it)"]


def test_an_installed_grader_says_where_the_guide_is(tmp_path, monkeypatch, capsys):
    """An installed grader has no docs/ beside it: the guide is named by where it lives, not as a bare path
    (which would point into the new course, where there is none)."""
    import grader.cli

    monkeypatch.setattr(grader.cli, "__file__", str(tmp_path / "site-packages" / "grader" / "cli.py"))
    assert main(["new", "scale", "--course", str(tmp_path / "course")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "The guide: docs/authoring.md in the keras-grader repository"
