"""`grader release`: the student bundle: README, stubs, public specs, probes, and the grader itself.

Never a solution, a hidden spec or a mutant: the bundle is built from an
allow-list of files, and `tests/test_release.py` checks the result against
everything under `solutions/`.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from grader.course.assignments import course_root, load_assignment

ASSIGNMENT_FILES = ("README.md", "assignment.toml", "probes.py")


def build_release(slugs: list[str], out: Path) -> list[Path]:
    """Copy what students need into `out`; return the files written."""
    root = course_root()
    written: list[Path] = []
    for slug in slugs:
        assignment = load_assignment(slug, root)
        target = out / "assignments" / slug
        names = [*ASSIGNMENT_FILES, assignment.stub, assignment.stub_ipynb.name]
        files = [assignment.folder / n for n in names] + assignment.public_specs
        for file in files:
            if file.exists():
                written.append(_copy(file, target / file.relative_to(assignment.folder)))
    package = Path(__file__).resolve().parents[1]  # the grader package
    for file in sorted(package.rglob("*")):
        if file.is_file() and "__pycache__" not in file.parts:
            written.append(_copy(file, out / "grader" / file.relative_to(package)))
    for name in ("pyproject.toml",):
        if (root / name).exists():
            written.append(_copy(root / name, out / name))
    readme = out / "README.md"
    readme.write_text(_readme(slugs), encoding="utf-8")
    written.append(readme)
    return written


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return target


def _readme(slugs: list[str]) -> str:
    lines = ["# Keras exercises", "", "Set up once, then check an exercise:", "", "```bash",
             "python3 -m venv .venv && .venv/bin/pip install -e .",
             f".venv/bin/grader check {slugs[0]} assignments/{slugs[0]}/{slugs[0]}.py", "```", "",
             "Exercises:", ""]
    lines += [f"- [`{s}`](assignments/{s}/README.md)" for s in slugs]
    return "\n".join(lines) + "\n"
