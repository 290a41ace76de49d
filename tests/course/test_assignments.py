"""Tests for grader.course: finding assignments, their files and their settings."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.course.assignments import COURSE_ENV, Assignment, Limits, course_root, list_assignments, load_assignment
from grader.errors import UnknownAssignment, UsageError

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_course_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(COURSE_ENV, raising=False)


def make_course(root: Path) -> Path:
    """A tiny course: one full assignment, one with only defaults, one folder that is not an assignment."""
    full = root / "assignments" / "toy"
    (full / "tests").mkdir(parents=True)
    (full / "assignment.toml").write_text(
        'title = "A toy"\nstub = "toy_stub.py"\nnames = ["Toy", "make_toy"]\n\n'
        "[limits]\nrequest_s = 5.5\nsubmission_s = 30\nmemory_mb = 512\n\n[worker]\nlogical_cpus = 3\n")
    for name in ("test_b.py", "test_a.py", "helper.py"):
        (full / "tests" / name).write_text("")
    solutions = root / "solutions" / "toy"
    (solutions / "hidden").mkdir(parents=True)
    (solutions / "mutants").mkdir()
    (solutions / "hidden" / "test_secret.py").write_text("")
    (solutions / "mutants" / "wrong_axis.py").write_text("")
    (solutions / "mutants" / "notes.txt").write_text("")
    bare = root / "assignments" / "bare"
    bare.mkdir()
    (bare / "assignment.toml").write_text("")
    (root / "assignments" / "draft").mkdir()  # no assignment.toml yet
    return root


def test_concat_from_the_checkout() -> None:
    assignment = load_assignment("concat")
    assert isinstance(assignment, Assignment)
    assert assignment.slug == "concat"
    assert assignment.title == "A block that concatenates two blocks"
    assert assignment.stub == "concat.py"
    assert assignment.names == ("ConcatBlock",)
    assert assignment.folder == CHECKOUT / "assignments" / "concat"
    assert assignment.solutions == CHECKOUT / "solutions" / "concat"
    assert assignment.stub_py == assignment.folder / "concat.py" and assignment.stub_py.is_file()
    assert assignment.stub_ipynb == assignment.folder / "concat.ipynb"
    assert assignment.probes == assignment.folder / "probes.py" and assignment.probes.is_file()
    assert assignment.public_specs and all(p.parent == assignment.folder / "tests" for p in assignment.public_specs)
    assert all(p.name.startswith("test_") for p in assignment.public_specs)
    assert assignment.hidden_specs and all(p.parent.name == "hidden" for p in assignment.hidden_specs)
    assert assignment.solution == CHECKOUT / "solutions" / "concat" / "solution.py"
    assert assignment.limits.request_s == 60 and assignment.limits.submission_s == 240
    assert assignment.limits.memory_mb == Limits().memory_mb  # not set in the toml: the default


def test_checkout_is_the_default_course_root() -> None:
    assert course_root() == CHECKOUT
    assert "concat" in list_assignments()


def test_unknown_name_lists_the_known_ones(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    with pytest.raises(UnknownAssignment) as info:
        load_assignment("concatt", root)
    assert str(info.value) == "no assignment named 'concatt' (known: bare, toy)"
    assert isinstance(info.value, UsageError)  # the CLI exits 2


def test_unknown_name_in_the_real_course_mentions_concat() -> None:
    with pytest.raises(UnknownAssignment) as info:
        load_assignment("no_such_assignment")
    assert str(info.value).startswith("no assignment named 'no_such_assignment' (known: ")
    assert "concat" in str(info.value)


def test_unknown_name_in_an_empty_course(tmp_path: Path) -> None:
    with pytest.raises(UnknownAssignment) as info:
        load_assignment("toy", tmp_path)
    assert str(info.value) == "no assignment named 'toy' (known: none found)"


@pytest.mark.parametrize("slug", ["../toy", "toy/../toy", "/etc", "", "draft"])
def test_paths_and_folders_without_toml_are_unknown(tmp_path: Path, slug: str) -> None:
    root = make_course(tmp_path)
    with pytest.raises(UnknownAssignment):
        load_assignment(slug, root)


def test_environment_variable_picks_the_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_course(tmp_path / "course")
    monkeypatch.setenv(COURSE_ENV, str(root))
    assert course_root() == root.resolve()
    assert list_assignments() == ["bare", "toy"]
    assignment = load_assignment("toy")
    assert assignment.folder == root.resolve() / "assignments" / "toy"
    with pytest.raises(UnknownAssignment) as info:
        load_assignment("concat")
    assert str(info.value) == "no assignment named 'concat' (known: bare, toy)"


def test_relative_environment_variable_is_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_course(tmp_path / "course")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(COURSE_ENV, "course")
    assert course_root() == (tmp_path / "course").resolve()
    assert load_assignment("toy").slug == "toy"


def test_all_fields_from_the_toml(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    toy = load_assignment("toy", root)
    assert toy.title == "A toy"
    assert toy.stub == "toy_stub.py"
    assert toy.names == ("Toy", "make_toy")
    assert toy.limits == Limits(request_s=5.5, submission_s=30, memory_mb=512)
    assert toy.logical_cpus == 3
    assert toy.stub_py == root / "assignments" / "toy" / "toy_stub.py"
    assert toy.stub_ipynb == root / "assignments" / "toy" / "toy_stub.ipynb"
    assert toy.public_specs == [root / "assignments" / "toy" / "tests" / n for n in ("test_a.py", "test_b.py")]
    assert toy.solutions == root / "solutions" / "toy"
    assert toy.hidden_specs == [root / "solutions" / "toy" / "hidden" / "test_secret.py"]
    assert toy.solution == root / "solutions" / "toy" / "solution.py"
    assert toy.mutants == [root / "solutions" / "toy" / "mutants" / "wrong_axis.py"]


def test_defaults_when_the_toml_is_empty_and_there_are_no_solutions(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    bare = load_assignment("bare", root)
    assert bare.title == "bare"
    assert bare.stub == "bare.py"
    assert bare.names == ()
    assert bare.limits == Limits()
    assert bare.logical_cpus == 0
    assert bare.solutions is None
    assert bare.solution is None
    assert bare.hidden_specs == [] and bare.mutants == [] and bare.public_specs == []


def test_default_limits() -> None:
    assert Limits() == Limits(request_s=60.0, submission_s=300.0, memory_mb=6144, output_bytes=64 * 1024,
                              max_file_mb=5)
