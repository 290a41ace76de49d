"""`grader release`: the student bundle: README, stubs, public specs, probes, and the grader itself.

Never a solution, a hidden spec or a mutant: the bundle is built from an
allow-list of files, and `tests/test_release.py` checks the result against
everything under `solutions/`. What it does say of the hidden specs is how many
tests and points they hold (`[graded_later]` in each `assignment.toml`), so a
student's check can tell them what is still to come.

The bundle is a pip-installable project: `pip install -e .` in the folder, or `pip install
BUNDLE.zip` / a URL of it (Colab), which installs the grader with a copy of the course's
public files inside the package (`grader/data/course/`, found by `course_root`).
"""
from __future__ import annotations

import json
import shutil
import tomllib
import zipfile
from pathlib import Path
from typing import Any

from grader.assignments import Assignment, course_root, load_assignment
from grader.course.scaffold import TODO_MARKER, todo_lines
from grader.errors import GraderError, UsageError

ASSIGNMENT_FILES = ("README.md", "assignment.toml", "probes.py")
LATER = "graded_later"  # the table in a released assignment.toml: hidden tests and points
BUNDLED = Path("grader") / "data" / "course"  # the course's public files, inside the installed package


def build_release(slugs: list[str], out: Path, *, zip_to: Path | None = None) -> list[Path]:
    """Copy what students need into `out` (and, with `zip_to`, the same as a zip); return the files written."""
    root = course_root()
    written: list[Path] = []
    assignments = [load_assignment(slug, root) for slug in slugs]
    unfinished = [line for a in assignments for line in todo_lines([a.folder])]
    if unfinished:
        raise UsageError(f"not released: {TODO_MARKER} markers are left in what students would get (grader new "
                         f"wrote them; grader selfcheck lists them): {'; '.join(unfinished[:5])}")
    for assignment in assignments:
        slug = assignment.slug
        names = [*ASSIGNMENT_FILES, assignment.stub, assignment.stub_ipynb.name]
        files = [assignment.folder / n for n in names] + assignment.public_specs
        for target in (out / "assignments" / slug, out / BUNDLED / "assignments" / slug):
            written += [_copy(file, target / file.relative_to(assignment.folder)) for file in files if file.exists()]
            _append_later(target / "assignment.toml", hidden_points(assignment))
    package = Path(__file__).resolve().parents[1]  # the grader package
    for file in sorted(package.rglob("*")):
        relative = file.relative_to(package)
        if file.is_file() and "__pycache__" not in file.parts and relative.parts[:2] != BUNDLED.parts[1:]:
            written.append(_copy(file, out / "grader" / relative))
    written.append(_project_file(root, out / "pyproject.toml"))
    readme = out / "README.md"
    readme.write_text(_readme(slugs, zip_to.name if zip_to else "exercises.zip"), encoding="utf-8")
    written.append(readme)
    if zip_to is not None:
        written.append(_zip(out, written, zip_to))
    return written


def _project_file(root: Path, target: Path) -> Path:
    """What makes the bundle pip-installable: the course's own `pyproject.toml`; for a course of its own
    (`grader new` outside the repository) the grader's, from its checkout or, in an installed grader, written
    from the installed package's metadata (its version and what a student needs, never an extra)."""
    for candidate in (root / "pyproject.toml", Path(__file__).resolve().parents[2] / "pyproject.toml"):
        if candidate.is_file() and (candidate.parent == root or _names_the_grader(candidate)):
            return _copy(candidate, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_installed_project(), encoding="utf-8")
    return target


def _names_the_grader(project: Path) -> bool:
    try:
        return tomllib.loads(project.read_text(encoding="utf-8")).get("project", {}).get("name") == DISTRIBUTION
    except (OSError, tomllib.TOMLDecodeError):
        return False


DISTRIBUTION = "keras-grader"


def _installed_project() -> str:
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        meta = metadata(DISTRIBUTION)
        version, python = meta["Version"], meta.get("Requires-Python") or ">=3.11"
        needs = [r for r in (meta.get_all("Requires-Dist") or []) if "extra ==" not in r]
    except PackageNotFoundError:
        raise GraderError("the grader's own project metadata is missing (neither a checkout nor an installed "
                          "keras-grader): copy the grader's pyproject.toml into the course folder") from None
    listed = "".join(f"    {json.dumps(r)},\n" for r in needs)  # a JSON string is a TOML basic string
    return (f'[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{DISTRIBUTION}"\nversion = "{version}"\nrequires-python = "{python}"\n'
            f"dependencies = [\n{listed}]\n\n"
            f'[project.scripts]\ngrader = "grader.cli:main"\n\n'
            f'[tool.setuptools.packages.find]\ninclude = ["grader", "grader.*"]\n\n'
            f'[tool.setuptools.package-data]\ngrader = ["py.typed", "data/*", "data/course/**/*"]\n'
            f'"grader.judge" = ["*.ini"]\n"grader.output" = ["templates/*"]\n')


def hidden_points(assignment: Assignment) -> dict[str, Any]:
    """The hidden tests that run when work is graded: `{"tests": 3, "points": 7.5}`.

    Counted from `solutions/<slug>/hidden/` in the course; in a bundle, read from what
    `build_release` wrote; None for both where neither says (an older bundle)."""
    if assignment.solutions is not None:
        from grader.judge.grading import collect

        specs = tuple(assignment.hidden_specs)
        expected = collect(specs, {str(p): "hidden" for p in specs}) if specs else []
        return {"tests": len(expected), "points": round(sum(points for _, points, _ in expected), 4)}
    try:
        later = tomllib.loads((assignment.folder / "assignment.toml").read_text(encoding="utf-8")).get(LATER, {})
    except (OSError, tomllib.TOMLDecodeError):
        later = {}
    tests, points = later.get("tests"), later.get("points")
    known = type(tests) is int and isinstance(points, (int, float)) and tests >= 0 and points >= 0
    return {"tests": tests, "points": float(points)} if known else {"tests": None, "points": None}


def hidden_points_or_unknown(assignment: Assignment) -> dict[str, Any]:
    """`hidden_points`, or unknown when the hidden specs cannot be read (a check still runs)."""
    try:
        return hidden_points(assignment)
    except GraderError:
        return {"tests": None, "points": None}


def _append_later(config: Path, hidden: dict[str, Any]) -> None:
    if hidden["tests"] is None or not config.exists():
        return
    with config.open("a", encoding="utf-8") as handle:
        handle.write(f"\n[{LATER}]  # written by `grader release`: the hidden tests, not in this bundle\n"
                     f"tests = {hidden['tests']}\npoints = {hidden['points']:g}\n")


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return target


def _zip(out: Path, files: list[Path], target: Path) -> Path:
    """The bundle as one zip pip can install (pyproject.toml at its root), for a URL or an upload."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(set(files)):
            archive.write(file, file.relative_to(out).as_posix())
    return target


def _readme(slugs: list[str], zip_name: str) -> str:
    first = slugs[0]
    lines = ["# Keras exercises", "",
             "Works on Linux, macOS and Windows with Python 3.11 or newer, in Jupyter and in Colab.", "",
             "## On your computer", "", "Set up once, then check an exercise:", "", "```bash",
             "python3 -m venv .venv && .venv/bin/pip install -e .   # Windows: .venv\\Scripts\\pip install -e .",
             f".venv/bin/grader check {first} assignments/{first}/{first}.py", "```", "",
             "In a Jupyter notebook started from that environment, a cell that runs",
             f"`from grader import check; check(\"{first}\")` checks the code your notebook has run",
             "(save or not); `check(\"" + first + "\", \"" + first + ".ipynb\")` checks the saved file instead.", "",
             "## In Colab", "",
             "Upload this folder's zip (or use the link your instructor gave you) and run two cells:", "",
             "```python", f"!pip install -q {zip_name}   # or: !pip install -q https://…/{zip_name}", "```", "",
             "```python", "from grader import check", f"check(\"{first}\")   # the code this notebook has run", "```",
             "", "Exercises:", ""]
    lines += [f"- [`{s}`](assignments/{s}/README.md)" for s in slugs]
    return "\n".join(lines) + "\n"
