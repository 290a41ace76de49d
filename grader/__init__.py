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
    """Run the public specs on a file and show the table; for notebook cells.

    The check runs in a fresh process, not in the notebook's kernel: the kernel
    has run the student's code, and a score is never computed next to it.
    Returns the report (a dict) that Jupyter shows as an HTML table and a
    terminal as text; `.passed` tells whether every public test passed. Outside
    Jupyter the text table is printed too. None when nothing could be checked
    (no such file or assignment): the reason is printed.
    """
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from grader.output.check_result import CheckResult, in_notebook

    with tempfile.TemporaryDirectory(prefix="grader-check-") as folder:
        report_file = Path(folder) / "report.json"
        command = [sys.executable, "-m", "grader", "check", assignment] + ([str(path)] if path else [])
        done = subprocess.run(command + ["--json", str(report_file)], capture_output=True, text=True)
        result = CheckResult.load(report_file)
    if result is None or not in_notebook():
        print(done.stdout, end="")
    if result is None or done.returncode not in (0, 1):
        print(done.stderr, end="", file=sys.stderr)
    return result
