"""An autograder for TensorFlow/Keras exercises.

The pipeline (see DESIGN.md) is ingest -> extract -> worker -> judge -> score ->
report; `grader.api` holds one function per command.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "check"]


def check(assignment: str, path: str | None = None, **kwargs: object) -> object:
    """Run the public specs on a file and print the table (callable from a notebook)."""
    from grader.api import check as _check

    return _check(assignment, path, **kwargs)  # type: ignore[arg-type]
