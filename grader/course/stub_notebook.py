"""`grader stub-notebook`: an assignment's `.ipynb` stub, made from its `.py` stub so both define the same names.

The module docstring becomes a markdown cell (under the title `Exercise `<slug>``); each top-level
block separated from the next by two blank lines becomes a code cell of its own, in order (the
imports first, as in the `.py`). `grader selfcheck` fails while the two stubs define different names.
"""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from grader.assignments import Assignment
from grader.errors import UsageError


def notebook_from_stub(path: Path) -> nbformat.NotebookNode:
    """The notebook for the `.py` stub at `path`."""
    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise UsageError(f"{path}: the stub is not valid Python (line {exc.lineno}: {exc.msg})") from None
    doc = ast.get_docstring(tree) or path.stem
    body = text
    if tree.body and isinstance(tree.body[0], ast.Expr) and ast.get_docstring(tree) is not None:
        body = "\n".join(text.splitlines()[tree.body[0].end_lineno:])
    cells = [nbformat.v4.new_markdown_cell(f"# Exercise `{path.stem}`\n\n{doc}")]
    for block in body.strip().split("\n\n\n"):
        if block.strip():
            cells.append(nbformat.v4.new_code_cell(block.strip("\n")))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def write_stub_notebook(assignment: Assignment) -> Path:
    """Write `<stub>.ipynb` beside the assignment's `.py` stub (replacing it); return its path."""
    if not assignment.stub_py.is_file():
        raise UsageError(f"assignment {assignment.slug!r} has no stub {assignment.stub_py}")
    notebook = notebook_from_stub(assignment.stub_py)
    nbformat.validate(notebook)
    nbformat.write(notebook, assignment.stub_ipynb)
    return assignment.stub_ipynb
