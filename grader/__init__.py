"""An autograder for TensorFlow/Keras exercises.

The pipeline (see DESIGN.md) is ingest -> extract -> worker -> judge -> score ->
report; `grader.api` holds one function per command.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "check"]


def check(assignment: str, path: str | None = None) -> int:
    """Run the public specs on a file and print the table; for notebook cells.

    The check runs in a fresh process, not in the notebook's kernel: the kernel
    has run the student's code, and a score is never computed next to it.
    Returns the exit code of `grader check` (0 when every public test passes).
    """
    import subprocess
    import sys

    command = [sys.executable, "-m", "grader", "check", assignment] + ([str(path)] if path else [])
    done = subprocess.run(command, capture_output=True, text=True)
    print(done.stdout, end="")
    if done.returncode not in (0, 1):
        print(done.stderr, end="", file=sys.stderr)
    return done.returncode
