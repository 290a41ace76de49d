"""An autograder for TensorFlow/Keras exercises.

The pipeline (see DESIGN.md) is ingest -> extract -> worker -> judge -> score ->
report; `grader.api` holds one function per command.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.output.check_result import CheckResult

__version__ = "0.1.0"

__all__ = ["__version__", "check"]


def check(assignment: str, path: str | None = None) -> CheckResult | None:
    """Run the public specs and show the table; for notebook cells.

    In a Jupyter or Colab kernel with no `path`, what is checked is the code this kernel ran
    (`grader.intake.kernel_history`), numbered by execution count; with a path, that file; from a
    terminal, the stub's file here. The check runs in a fresh process, not in the kernel: the
    kernel has run the student's code, and a score is never computed next to it. Returns the
    report (a dict) that Jupyter shows as an HTML table and a terminal as text; `.passed`
    tells whether every public test passed. Outside Jupyter the text table is printed too.
    None when nothing could be checked (no such file or assignment): the reason is printed.
    """
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from grader.intake.kernel_history import describe, kernel_shell, ran_cells, write_history
    from grader.output.check_result import CheckResult, in_notebook

    shell = kernel_shell() if path is None else None
    cells = ran_cells(shell) if shell is not None else []
    if shell is not None and not cells:
        print("This notebook has not run any code yet: run your cells, then check again "
              f"(or check the saved file: check({assignment!r}, 'file.ipynb')).")
        return None
    with tempfile.TemporaryDirectory(prefix="grader-check-") as folder:
        target = [str(path)] if path else []
        if cells:
            target = [str(Path(folder) / "ran")]
            Path(target[0]).mkdir()
            write_history(cells, Path(target[0]), _notebook_name(assignment), Path.cwd())
        report_file = Path(folder) / "report.json"
        command = [sys.executable, "-m", "grader", "check", assignment, *target, "--json", str(report_file)]
        done = subprocess.run(command, capture_output=True, encoding="utf-8", errors="replace",
                              env={**os.environ, "PYTHONIOENCODING": "utf-8"})  # whatever the code page (Windows)
        result = CheckResult.load(report_file)
    if result is not None and cells:
        result["submission"]["path"] = describe(cells)  # the temporary folder means nothing to the student
    if result is None:
        print(done.stdout, end="")
    elif not in_notebook():
        print(result)
    if result is None or done.returncode not in (0, 1):
        print(done.stderr, end="", file=sys.stderr)
    return result


def _notebook_name(assignment: str) -> str:
    """The name a saved notebook of this assignment has (the stub's, as `.ipynb`), so the check picks it."""
    from pathlib import Path

    from grader.assignments import load_assignment
    from grader.errors import GraderError

    try:
        return Path(load_assignment(assignment).stub).stem + ".ipynb"
    except GraderError:
        return "notebook.ipynb"  # the check itself says what is wrong with the name
