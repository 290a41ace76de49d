"""The code a Jupyter (or Colab) kernel ran, as a notebook the grader reads like any other.

`check("concat")` in a notebook grades what the kernel ran, not the file on disk: Jupyter
saves every two minutes, Colab keeps the notebook in Drive. The cells come from IPython's
input history (raw, magics and all) in the order they ran, each numbered by its execution
count (`In [5]`), so messages name the cells the student sees. The notebook is handed to
`grader check` like a saved one: the same extraction (magics, `%%writefile`, `%run`), specs
and worker as `grader grade`. Runs in the student's kernel: nothing here imports the judge.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

CELL_NUMBERS = {"grader": {"cell_numbers": "execution_count"}}  # read by grader.intake.notebook.read_cells
_RUN = re.compile(r"^[ \t]*%run[ \t]+(?:-\w+[ \t]+)*([^\s;]+)", re.MULTILINE)
LISTED = 12  # cell numbers named in the one-line description; the rest are counted


def kernel_shell() -> Any | None:
    """The IPython shell of the Jupyter/Colab kernel this runs in, or None (a terminal, a script)."""
    import sys

    if "IPython" not in sys.modules:  # never import IPython just to ask
        return None
    shell = sys.modules["IPython"].get_ipython()
    return shell if shell is not None and hasattr(shell, "kernel") else None


def ran_cells(shell: Any) -> list[tuple[int, str]]:
    """(execution count, source) of every cell the kernel ran, oldest first, the running one included.

    Left out: blank cells, and cells that only import the grader and call `check` (the one
    running now among them): they define nothing to grade. A cell that also defines something
    stays, whatever else it does: the kernel ran that (its `check` call is not run when graded)."""
    history = list(shell.history_manager.input_hist_raw)
    return [(n, str(source)) for n, source in enumerate(history)
            if n > 0 and str(source).strip() and not _only_checks(str(source))]


def _only_checks(source: str) -> bool:
    """True for `from grader import check` / `check("concat")` cells (statements of those kinds only)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return all(_imports_grader(node) or _calls_check(node) for node in tree.body)


def _imports_grader(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module or "").split(".")[0] == "grader"
    return isinstance(node, ast.Import) and all(alias.name.split(".")[0] == "grader" for alias in node.names)


def _calls_check(node: ast.stmt) -> bool:
    value = node.value if isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
    if not isinstance(value, ast.Call):
        return False
    name = value.func.attr if isinstance(value.func, ast.Attribute) else getattr(value.func, "id", "")
    return name == "check"


def write_history(cells: list[tuple[int, str]], folder: Path, name: str, cwd: Path) -> None:
    """`folder/name`: the cells as a notebook numbered by execution count; beside it, the files their
    `%run` lines name (copied from the kernel's folder `cwd`), as a saved notebook's zip would hold them."""
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": dict(CELL_NUMBERS),
                "cells": [{"cell_type": "code", "id": f"ran-{n}", "execution_count": n, "metadata": {}, "outputs": [],
                           "source": source} for n, source in cells]}
    (folder / name).write_text(json.dumps(notebook), encoding="utf-8")
    for _, source in cells:
        for wanted in _RUN.findall(source):
            _copy_beside(cwd, folder, wanted.strip("'\""))


def _copy_beside(cwd: Path, folder: Path, wanted: str) -> None:
    relative = PurePosixPath(wanted.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts:
        return
    for candidate in (relative, relative.with_name(relative.name + ".py")):
        source = cwd / candidate
        if source.is_file() and candidate.suffix.lower() in (".py", ".ipynb"):
            (folder / candidate).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, folder / candidate)
            return


def describe(cells: list[tuple[int, str]]) -> str:
    """One line saying what was graded: 'the code this notebook ran: cells [3], [5], [7]'."""
    numbers = [f"[{n}]" for n, _ in cells]
    listed = ", ".join(numbers[:LISTED]) + (f" and {len(numbers) - LISTED} more" if len(numbers) > LISTED else "")
    return f"the code this notebook ran: {'cell' if len(numbers) == 1 else 'cells'} {listed}"
