"""Tests for grader.course: finding assignments, their files and their settings."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.assignments import (COURSE_ENV, Assignment, Limits, course_root, find_course, list_assignments,
                                       load_assignment)
from grader.errors import UnknownAssignment, UsageError

CHECKOUT = Path(__file__).resolve().parents[1]


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
    (solutions / "mutants" / "adds.diff").write_text("")
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


def test_checkout_is_the_default_course_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert course_root() == CHECKOUT  # (the tests run in it)
    monkeypatch.chdir(tmp_path)  # no course here or above: the grader's own checkout (an editable install)
    assert course_root() == CHECKOUT and find_course() == (CHECKOUT, "the grader's own source checkout")
    assert "concat" in list_assignments()


def test_the_working_folder_or_a_folder_above_it_is_the_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An instructor runs commands from anywhere inside the course, whatever the grader's install."""
    root = make_course(tmp_path / "course").resolve()
    monkeypatch.chdir(root)
    assert find_course() == (root, "the working folder")
    monkeypatch.chdir(root / "assignments" / "toy" / "tests")
    assert find_course() == (root, f"a folder above the working folder ({root / 'assignments' / 'toy' / 'tests'})")
    assert load_assignment("toy").folder == root / "assignments" / "toy"
    with pytest.raises(UnknownAssignment) as info:
        load_assignment("concat")
    assert str(info.value) == (f"no assignment named 'concat' in the course at {root} (found from a folder above the "
                               f"working folder ({root / 'assignments' / 'toy' / 'tests'}); set GRADER_COURSE for "
                               "another); known: bare, toy")


def test_with_no_course_anywhere_the_error_says_where_it_looked(tmp_path: Path) -> None:
    """A non-editable install (the package alone, no course beside it) run from a folder outside any course."""
    import shutil
    import subprocess
    import sys

    site = tmp_path / "site"
    shutil.copytree(CHECKOUT / "grader", site / "grader", ignore=shutil.ignore_patterns("__pycache__", "data"))
    course = make_course(tmp_path / "course")
    (tmp_path / "elsewhere").mkdir()
    code = "from grader.assignments import load_assignment as l; print(l('toy').folder)"

    def run(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), **env})

    lost = run(tmp_path / "elsewhere")
    assert lost.returncode == 1
    assert lost.stderr.strip().splitlines()[-1] == (
        "grader.errors.UnknownAssignment: no assignment named 'toy': no course found: the grader looks for the folder "
        "that holds assignments/<name>/assignment.toml in $GRADER_COURSE (not set), then in the working folder "
        f"({tmp_path / 'elsewhere'}) and the folders above it. Run the command from inside your course, or set "
        "GRADER_COURSE=/path/to/your/course")
    found = run(course / "assignments" / "toy")
    assert found.stdout.strip() == str((course / "assignments" / "toy").resolve())
    assert run(tmp_path / "elsewhere", GRADER_COURSE=str(course)).stdout.strip() == str(
        (course / "assignments" / "toy").resolve())
    cli = subprocess.run([sys.executable, "-m", "grader", "check", "toy", "mine.py"], cwd=tmp_path / "elsewhere",
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)})
    assert cli.returncode == 2 and "Error: no assignment named 'toy': no course found" in cli.stderr
    assert "GRADER_COURSE" in cli.stderr and str(tmp_path / "elsewhere") in cli.stderr


def test_unknown_name_lists_the_known_ones(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    with pytest.raises(UnknownAssignment) as info:
        load_assignment("concatt", root)
    assert str(info.value) == f"no assignment named 'concatt' in the course at {root}; known: bare, toy"
    assert isinstance(info.value, UsageError)  # the CLI exits 2


def test_unknown_name_in_the_real_course_mentions_concat() -> None:
    with pytest.raises(UnknownAssignment) as info:
        load_assignment("no_such_assignment")
    assert str(info.value).startswith(f"no assignment named 'no_such_assignment' in the course at {CHECKOUT} "
                                      "(found from the working folder; set GRADER_COURSE for another); known: ")
    assert "concat" in str(info.value)


def test_unknown_name_in_an_empty_course(tmp_path: Path) -> None:
    with pytest.raises(UnknownAssignment) as info:
        load_assignment("toy", tmp_path)
    assert str(info.value) == f"no assignment named 'toy' in the course at {tmp_path}; known: none found"


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
    assert str(info.value) == (f"no assignment named 'concat' in the course at {root.resolve()} (found from "
                               "$GRADER_COURSE); known: bare, toy")


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
    assert toy.mutants == [root / "solutions" / "toy" / "mutants" / n for n in ("adds.diff", "wrong_axis.py")]


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


@pytest.mark.parametrize("toml, said", [
    ('titel = "typo"\n', "unknown key(s) titel; known: devices, graded_later, limits, names, stub, title, worker"),
    ("[limits]\nrequest = 5\n", "unknown [limits] key(s) request; known: disk_mb, max_file_mb, memory_mb"),
    ("[worker]\ncpus = 2\n", "unknown [worker] key(s) cpus; known: logical_cpus"),
    ("[devices]\ngpu = []\n", "unknown [devices] key(s) gpu; known: gpu_only"),
    ('names = "Toy"\n', 'names must be a list of names, like ["ConcatBlock"]'),
    ("limits = 3\n", "[limits] must be a table"),
    ("title = \n", "not valid TOML"),
])
def test_a_mistake_in_assignment_toml_is_named(tmp_path: Path, toml: str, said: str) -> None:
    root = make_course(tmp_path)
    (root / "assignments" / "bare" / "assignment.toml").write_text(toml)
    with pytest.raises(UsageError) as info:
        load_assignment("bare", root)
    assert said in str(info.value) and "bare/assignment.toml" in str(info.value)
