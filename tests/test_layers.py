"""The packages stay in their layers: what runs submissions never imports the instructor commands.

`grader/course/` is the instructors' tools (selfcheck, mutation, release, new exercises) and sits on
top of the judge; the course model they share with the judge and the sandbox is `grader/assignments.py`.
Read from the source (imports inside functions too), so a lazy import cannot hide a layer break.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

GRADER = Path(__file__).resolve().parents[1] / "grader"
BELOW_THE_COMMANDS = ("judge", "sandbox", "worker", "intake", "output", "assignments.py", "spec.py", "protocol.py",
                      "errors.py")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def sources(part: str) -> list[Path]:
    where = GRADER / part
    return sorted(where.rglob("*.py")) if where.is_dir() else [where]


@pytest.mark.parametrize("part", BELOW_THE_COMMANDS)
def test_nothing_below_the_instructor_commands_imports_them(part):
    breaks = [f"{path.relative_to(GRADER.parent)} imports {name}" for path in sources(part)
              for name in sorted(imported_modules(path)) if name == "grader.course" or name.startswith("grader.course.")]
    assert breaks == []


def test_the_course_model_imports_nothing_above_it():
    above = ("grader.judge", "grader.sandbox", "grader.worker", "grader.intake", "grader.output", "grader.course",
             "grader.api", "grader.cli")
    names = imported_modules(GRADER / "assignments.py")
    assert [n for n in names if n.startswith(above)] == []


def test_the_layer_check_sees_a_lazy_import(tmp_path):
    probe = tmp_path / "lazy.py"
    probe.write_text("def f():\n    from grader.course.selfcheck import run_selfcheck\n    import grader.course\n")
    assert {"grader.course.selfcheck", "grader.course.selfcheck.run_selfcheck", "grader.course"} <= imported_modules(probe)
