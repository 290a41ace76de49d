"""What `check()` returns: the report, shown as a table in Jupyter and as text in a terminal.

`CheckResult` is the report dict itself (a `dict` subclass), so code that read
`check(...)["score"]` or dumped it as JSON keeps working. Jupyter calls
`_repr_html_` and shows an HTML table (marks, points, messages, isolation, total);
`str()`/`repr()` give the same text table `grader check` prints. The HTML is built
with the standard library's `html.escape` (every piece of text goes through it):
a student's install has no Jinja2, which only the instructor's class report needs.
"""
from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

from grader.output.console import (
    OUTCOME_MARK,
    OUTCOME_SIGN,
    extraction_notes,
    isolation,
    plain,
    result_table,
    total_line,
)

STYLE = """<style>
.grader-check table { border-collapse: collapse; margin: .3rem 0; }
.grader-check th, .grader-check td { text-align: left; vertical-align: top; padding: .25rem .6rem; border-bottom: 1px solid #d0d7de; }
.grader-check td.num, .grader-check th.num { text-align: right; white-space: nowrap; }
.grader-check .message { white-space: pre-wrap; max-width: 60rem; }
.grader-check .mark { font-weight: 700; white-space: nowrap; }
.grader-check .mark.passed { color: #1a7f37; }
.grader-check .mark.failed, .grader-check .mark.error, .grader-check .mark.timeout { color: #b42318; }
.grader-check .mark.skipped { color: #57606a; }
</style>"""


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
        return render_check_html(self)


def _text(value: Any, limit: int = 20_000) -> str:
    return html.escape(plain(value, limit))


def render_check_html(report: dict[str, Any]) -> str:
    """The notebook's HTML: the table `grader check` prints (marks, points, messages), isolation and total."""
    parts = ['<div class="grader-check">', STYLE,
             f"<p><b>{_text(report['assignment'], 200)}</b>: {_text(report['submission']['path'], 2000)}</p>"]
    held = report.get("held") if report["status"] == "held" else None
    if report["status"] == "error" and report.get("error"):
        parts.append(f'<p class="error">Could not grade this submission: {_text(report["error"]["message"])}</p>')
    elif isinstance(held, dict):  # nothing was scored: no table, no total
        parts += [f'<p class="error">{_text(held.get("message", ""))}</p>', "</div>"]
        return "\n".join(parts)
    else:
        parts.append(_tests_table(report["tests"]))
    parts += [f'<p class="note">note: {_text(note)}</p>' for note in extraction_notes(report)]
    if isolation(report):
        parts.append(f'<p class="isolation">Isolation: {_text(isolation(report))}</p>')
    parts += [f'<p class="total"><b>{_text(total_line(report))}</b></p>', "</div>"]
    return "\n".join(parts)


def _tests_table(tests: list[dict[str, Any]]) -> str:
    rows = ['<table class="tests">', '<thead><tr><th>Result</th><th>Test</th><th class="num">Points</th>'
            "<th>What went wrong</th></tr></thead>", "<tbody>"]
    for test in tests:
        outcome = html.escape(plain(test["outcome"], 20))
        mark = f"{OUTCOME_SIGN.get(test['outcome'], '?')} {OUTCOME_MARK.get(test['outcome'], outcome.upper())}"
        message = _text(test["message"]) if test["outcome"] != "passed" else ""
        rows.append(f'<tr class="{outcome}"><td class="mark {outcome}">{mark}</td><td>{_text(test["name"], 200)}</td>'
                    f'<td class="num">{test["score"]:g}/{test["points"]:g}</td><td class="message">{message}</td></tr>')
    return "\n".join(rows + ["</tbody>", "</table>"])


def in_notebook() -> bool:
    """Inside a Jupyter kernel, whose front end shows the returned result as HTML."""
    if "IPython" not in sys.modules:  # never import IPython just to ask
        return False
    shell = sys.modules["IPython"].get_ipython()
    return shell is not None and hasattr(shell, "kernel")
