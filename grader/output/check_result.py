"""What `check()` returns: the report, shown as a table in Jupyter and as text in a terminal.

`CheckResult` is the report dict itself (a `dict` subclass), so code that read
`check(...)["score"]` or dumped it as JSON keeps working. Jupyter calls
`_repr_html_` and shows an HTML table (marks, points, messages, total);
`str()`/`repr()` give the same text table `grader check` prints.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from grader.output.console import extraction_notes, result_table


class CheckResult(dict[str, Any]):
    """A `grader check` report that displays itself."""

    @classmethod
    def load(cls, path: Path) -> CheckResult | None:
        """The report `grader check --json PATH` wrote, or None if it wrote none (a usage error)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return cls(data) if isinstance(data, dict) and data.get("schema") == "grader-report/1" else None

    @property
    def passed(self) -> bool:
        """Every public test passed (what makes `grader check` exit 0)."""
        return self["status"] == "graded" and all(t["outcome"] == "passed" for t in self["tests"])

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def __str__(self) -> str:
        return result_table(self)

    def __repr__(self) -> str:
        return result_table(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's text form: the table, not the dict (dict subclasses get a dict printer otherwise)."""
        printer.text(result_table(self))

    def _repr_html_(self) -> str:
        from grader.output.html_report import render_check_table

        return render_check_table(self, extraction_notes(self))


def in_notebook() -> bool:
    """Inside a Jupyter kernel, whose front end shows the returned result as HTML."""
    if "IPython" not in sys.modules:  # never import IPython just to ask
        return False
    shell = sys.modules["IPython"].get_ipython()
    return shell is not None and hasattr(shell, "kernel")
