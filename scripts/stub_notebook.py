"""Build an assignment's .ipynb stub from its .py stub, so both define the same names.

Usage: python scripts/stub_notebook.py assignments/<slug>/<slug>.py
The module docstring becomes a markdown cell; each top-level block separated by
two blank lines becomes its own code cell; the imports go first.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat


def notebook_from_stub(path: Path) -> nbformat.NotebookNode:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    doc = ast.get_docstring(tree) or path.stem
    body = text
    if tree.body and isinstance(tree.body[0], ast.Expr):
        body = "\n".join(text.splitlines()[tree.body[0].end_lineno:])
    cells = [nbformat.v4.new_markdown_cell(f"# Exercise `{path.stem}`\n\n{doc}")]
    for block in body.strip().split("\n\n\n"):
        if block.strip():
            cells.append(nbformat.v4.new_code_cell(block.strip("\n")))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def main(argv: list[str]) -> int:
    for name in argv[1:]:
        path = Path(name)
        nbformat.write(notebook_from_stub(path), path.with_suffix(".ipynb"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
