"""`grader stub-notebook`: the .ipynb stub is made from the .py stub, and every assignment's is up to date."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from grader.cli import main
from grader.assignments import COURSE_ENV, list_assignments, load_assignment
from grader.course.stub_notebook import notebook_from_stub
from grader.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]


def cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


@pytest.mark.parametrize("slug", list_assignments())
def test_every_notebook_stub_has_the_code_its_py_stub_makes(slug):
    """(An author may add markdown cells, as lenet's notes on Keras 3: the code is the .py stub's.)"""
    assignment = load_assignment(slug)
    code = [c for c in cells(nbformat.read(assignment.stub_ipynb, as_version=4)) if c[0] == "code"]
    assert code == [c for c in cells(notebook_from_stub(assignment.stub_py)) if c[0] == "code"]


def test_the_command_writes_the_notebook_beside_the_stub(tmp_path, monkeypatch, capsys):
    shutil.copytree(ROOT / "assignments" / "concat", tmp_path / "assignments" / "concat")
    notebook = tmp_path / "assignments" / "concat" / "concat.ipynb"
    notebook.unlink()
    monkeypatch.setenv(COURSE_ENV, str(tmp_path))
    assert main(["stub-notebook", "concat"]) == 0
    assert capsys.readouterr().out == f"wrote {notebook}\n"
    made = nbformat.read(notebook, as_version=4)
    nbformat.validate(made)
    assert cells(made)[:2] == [("markdown", "# Exercise `concat`\n\nExercise `concat`: a block that concatenates the "
                                            "outputs of two blocks.\n\nFill in `ConcatBlock`. Check your work with:  "
                                            "grader check concat concat.py"),
                               ("code", "import tensorflow as tf")]
    assert made.metadata["kernelspec"]["name"] == "python3"


def test_a_stub_that_is_not_python_is_a_usage_error(tmp_path):
    stub = tmp_path / "broken.py"
    stub.write_text("def f(:\n")
    with pytest.raises(UsageError, match="the stub is not valid Python"):
        notebook_from_stub(stub)
