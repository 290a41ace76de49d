"""The student bundle never ships hidden material."""
from __future__ import annotations

from pathlib import Path

from grader.api import release
from grader.assignments import list_assignments

ROOT = Path(__file__).resolve().parents[2]


def test_release_bundle_is_free_of_solutions_hidden_specs_and_mutants(tmp_path):
    slugs = list_assignments()
    files = release(slugs, out=tmp_path)
    shipped = {p.read_bytes() for p in files}
    secret = [p for p in (ROOT / "solutions").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert secret, "expected grader-only files to compare against"
    shipped_lines = {ln.strip() for s in shipped for ln in s.splitlines()}
    for path in secret:
        body = path.read_bytes()
        assert body not in shipped, f"{path} was shipped"
        slug = path.relative_to(ROOT / "solutions").parts[0]
        public = {ln.strip() for p in (ROOT / "assignments" / slug).rglob("*.py") for ln in p.read_bytes().splitlines()}
        distinctive = [ln.strip() for ln in body.splitlines() if len(ln.strip()) > 20 and ln.strip() not in public]
        leaked = [ln for ln in distinctive if ln in shipped_lines]
        assert len(leaked) <= len(distinctive) // 4, f"code from {path} was shipped: {leaked[:3]}"
    names = {p.relative_to(tmp_path).as_posix() for p in files}
    assert "assignments/concat/concat.py" in names and "assignments/concat/concat.ipynb" in names
    assert "assignments/concat/tests/test_public.py" in names and "grader/cli.py" in names
    course_files = {n for n in names if not n.startswith("grader/") or n.startswith("grader/data/course/")}
    assert not any("solution" in n or "hidden" in n or "mutant" in n for n in course_files)  # not the grader's mutants.py
    assert not any(n.endswith(".diff") or "/mutants/" in n or "/hidden/" in n for n in names)


def test_the_bundle_says_what_its_hidden_tests_are_worth_and_pip_installs_from_its_zip(tmp_path):
    """What `!pip install exercises.zip` does in Colab: the grader, and the course's public files inside it."""
    import subprocess
    import sys
    import tomllib

    zipped = tmp_path / "exercises.zip"
    release(["concat"], out=tmp_path / "bundle", zip_to=zipped)
    later = tomllib.loads((tmp_path / "bundle" / "assignments" / "concat" / "assignment.toml").read_text())
    assert later["graded_later"] == {"tests": 7, "points": 7.5}  # solutions/concat/hidden/, counted at release
    assert "!pip install -q exercises.zip" in (tmp_path / "bundle" / "README.md").read_text()
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                           "--quiet", "--target", str(site), str(zipped)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    installed = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    course = "grader/data/course/assignments/concat/"
    assert {course + n for n in ("assignment.toml", "probes.py", "concat.py", "tests/test_public.py")} <= installed
    assert "grader/cli.py" in installed and not any("solution" in n or "hidden" in n for n in installed)
    (tmp_path / "colab").mkdir()
    (tmp_path / "colab" / "mine.py").write_bytes((ROOT / "solutions" / "concat" / "solution.py").read_bytes())
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "HOME": str(tmp_path)}
    where = subprocess.run([sys.executable, "-c", "import grader.assignments as a; print(a.course_root())"],
                           capture_output=True, text=True, env=env, cwd=tmp_path / "colab")
    assert where.stdout.strip() == str(site / "grader" / "data" / "course")  # the installed copy, not this checkout
    done = subprocess.run([sys.executable, "-m", "grader", "check", "concat", "mine.py"], cwd=tmp_path / "colab",
                          capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == ("  Total: 2.5 / 2.5 on the public tests; hidden tests worth 7.5 more "
                                            "points run when your work is graded")


def test_a_course_of_its_own_gets_the_graders_project_file_so_students_can_install_it(tmp_path, monkeypatch):
    """`grader new` outside the repository makes a course with no pyproject.toml: the bundle still installs."""
    from grader.api import new_exercise
    from grader.assignments import COURSE_ENV
    from grader.assignments import load_assignment
    from grader.course.scaffold import TODO_MARKER
    from grader.course.stub_notebook import write_stub_notebook

    course = tmp_path / "course"
    monkeypatch.setenv(COURSE_ENV, str(course))
    new_exercise("scale", course=course)
    for path in course.rglob("*"):
        if path.is_file() and path.suffix != ".ipynb":
            path.write_text(path.read_text(encoding="utf-8").replace(f"{TODO_MARKER}: ", ""), encoding="utf-8")
    write_stub_notebook(load_assignment("scale", course))
    assert not (course / "pyproject.toml").exists()
    release(["scale"], out=tmp_path / "bundle")
    shipped = (tmp_path / "bundle" / "pyproject.toml").read_bytes()
    assert shipped == (ROOT / "pyproject.toml").read_bytes()  # this checkout's grader


def test_an_installed_grader_writes_its_project_file_from_its_metadata():
    """Without a checkout, the project file is written from the installed package: same name, version, what a
    student needs (no extra), and the same packages and package data as the real pyproject.toml."""
    import tomllib
    from importlib.metadata import metadata

    from grader.course.release import _installed_project

    written = tomllib.loads(_installed_project())
    real = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert written["project"]["name"] == real["project"]["name"] and written["project"]["version"] == metadata(
        "keras-grader")["Version"]
    assert written["project"]["dependencies"] == real["project"]["dependencies"]
    assert written["project"]["scripts"] == real["project"]["scripts"]
    assert written["tool"]["setuptools"] == {k: real["tool"]["setuptools"][k] for k in ("packages", "package-data")}
    assert written["build-system"] == real["build-system"]
