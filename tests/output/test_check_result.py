"""Tests for grader.check_result: check()'s result is the report, a text table in a terminal, HTML in Jupyter.

The last test runs a real notebook in a real kernel (nbclient + ipykernel) that
calls `grader.check` on a correct and on a partly wrong submission.
"""
from __future__ import annotations

import json
import shutil
import sys
import types
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from grader.output.check_result import CheckResult, in_notebook
from grader.output.console import result_table

ROOT = Path(__file__).resolve().parents[2]


def make_report(tests: list[tuple[str, float, str, str]], *, status: str = "graded") -> dict[str, Any]:
    """Shaped like grader.score.GradingResult.to_dict() (the fields a check shows)."""
    listed = [{"name": n, "points": p, "score": p if o == "passed" else 0.0, "outcome": o, "message": m,
               "visibility": "visible", "device": "cpu", "duration_s": 0.1} for n, p, o, m in tests]
    return {"schema": "grader-report/1", "assignment": "concat", "id": "mine",
            "submission": {"path": "concat.ipynb", "sha256": "0" * 64, "kind": "notebook"},
            "status": status, "error": None, "score": sum(t["score"] for t in listed),
            "max_score": sum(t["points"] for t in listed), "tests": listed,
            "extraction": {"dropped": [{"line": 4, "code": "model.fit(x)"}], "notes": [], "problems": []}}


PARTLY = make_report([("test_output_shape", 1.0, "passed", ""),
                      ("test_values", 1.5, "failed", "4 of 18 values differ <script>alert(1)</script>")])


class TableRows(HTMLParser):
    """The cells of every body row of the first table in an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.in_body = False
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag == "td" and self.in_body:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tbody":
            self.in_body = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str) -> tuple[list[list[str]], list[str]]:
    parser = TableRows()
    parser.feed(html)
    return parser.rows, parser.tags


def test_the_result_is_the_report_dict() -> None:
    result = CheckResult(PARTLY)
    assert isinstance(result, dict) and result == PARTLY and result["score"] == 1.0
    assert json.loads(json.dumps(result)) == PARTLY
    assert not result.passed and result.exit_code == 1
    assert CheckResult(make_report([("t", 1.0, "passed", "")])).passed


def test_terminal_text_is_the_table_grader_check_prints() -> None:
    result = CheckResult(PARTLY)
    assert str(result) == repr(result) == result_table(PARTLY)
    printed: list[str] = []
    result._repr_pretty_(types.SimpleNamespace(text=printed.append), False)
    assert printed == [result_table(PARTLY)]


def test_jupyter_html_is_a_table_of_marks_points_and_messages() -> None:
    html = CheckResult(PARTLY)._repr_html_()
    rows, tags = table_rows(html)
    assert rows == [["✔ PASS", "test_output_shape", "1/1", ""],
                    ["✘ FAIL", "test_values", "0/1.5", "4 of 18 values differ <script>alert(1)</script>"]]
    assert "script" not in tags  # the student's text is shown, never run
    assert "Total: 1 / 2.5" in html and "1 top-level statement(s) were not run" in html


def test_a_submission_that_could_not_be_graded_says_why() -> None:
    report = make_report([("t", 1.0, "error", "no result")], status="error")
    report["error"] = {"kind": "syntax", "message": "Syntax error at line 3 (invalid syntax)"}
    html = CheckResult(report)._repr_html_()
    assert "Could not grade this submission: Syntax error at line 3 (invalid syntax)" in html
    assert "Total: 0 / 1" in html


def test_load_reads_a_report_and_refuses_anything_else(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(PARTLY))
    assert CheckResult.load(path) == PARTLY
    path.write_text('{"schema": "other"}')
    assert CheckResult.load(path) is None
    assert CheckResult.load(tmp_path / "missing.json") is None


def test_in_notebook_only_inside_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert not in_notebook()
    fake.get_ipython = lambda: types.SimpleNamespace(kernel=object())  # type: ignore[attr-defined]
    assert in_notebook()
    monkeypatch.delitem(sys.modules, "IPython")
    assert not in_notebook()


def test_check_in_a_real_notebook_shows_html_tables(tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    correct, partly = tmp_path / "correct.py", tmp_path / "partly.py"
    shutil.copy(ROOT / "solutions" / "concat" / "solution.py", correct)
    shutil.copy(ROOT / "solutions" / "concat" / "mutants" / "new_layers_in_call.py", partly)
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from grader import check"),
        nbformat.v4.new_code_cell(f"check('concat', {str(correct)!r})"),
        nbformat.v4.new_code_cell(f"result = check('concat', {str(partly)!r})\nresult"),
    ])
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    good, bad = notebook.cells[1].outputs, notebook.cells[2].outputs
    assert [o["output_type"] for o in good] == ["execute_result"]  # a table, not text printed beside it
    assert [o["output_type"] for o in bad] == ["execute_result"]

    rows, _ = table_rows(good[0]["data"]["text/html"])
    assert [(r[0], r[1], r[2]) for r in rows] == [("✔ PASS", "test_output_shape", "1/1"),
                                                  ("✔ PASS", "test_output_concatenates_both_blocks", "1.5/1.5")]
    assert "Total: 2.5 / 2.5" in good[0]["data"]["text/html"]

    rows, _ = table_rows(bad[0]["data"]["text/html"])
    assert [(r[0], r[1], r[2]) for r in rows] == [("✔ PASS", "test_output_shape", "1/1"),
                                                  ("✘ FAIL", "test_output_concatenates_both_blocks", "0/1.5")]
    assert "values differ from the correct result" in rows[1][3]
    assert "Total: 1 / 2.5" in bad[0]["data"]["text/html"]
    assert "FAIL  test_output_concatenates_both_blocks" in bad[0]["data"]["text/plain"]  # text front ends


def test_check_in_a_real_kernel_grades_the_code_the_kernel_ran(tmp_path: Path) -> None:
    """check("concat") with no file, in a real kernel: what the kernel ran is graded, not what is saved.

    (c) the kernel ran the stub: 0, with the student's message at the cell they see ([1]);
    (a) it then ran the solution while concat.py and concat.ipynb on disk are still stubs: full marks;
    (b) the same from an empty folder (Colab: no notebook on disk): full marks.
    """
    import nbformat
    from nbclient import NotebookClient

    course, empty = tmp_path / "course", tmp_path / "empty"
    course.mkdir()
    empty.mkdir()
    shutil.copy(ROOT / "assignments" / "concat" / "concat.py", course / "concat.py")  # saved stubs
    shutil.copy(ROOT / "assignments" / "concat" / "concat.ipynb", course / "concat.ipynb")
    stub = (ROOT / "assignments" / "concat" / "concat.py").read_text(encoding="utf-8")
    solution = (ROOT / "solutions" / "concat" / "solution.py").read_text(encoding="utf-8")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        stub, "from grader import check\ncheck('concat')", solution, "check('concat')", f"%cd {empty}",
        "check('concat')")])
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(course)}}).execute()
    stubbed, fixed, elsewhere = (_shown(notebook.cells[n]) for n in (1, 3, 5))

    rows, _ = table_rows(stubbed["text/html"])
    assert [(r[0], r[2]) for r in rows] == [("✘ ERROR", "0/1"), ("✘ ERROR", "0/1.5")]
    assert all("NotImplementedError at cell 1, line 17: ConcatBlock.call is not written yet" in r[3] for r in rows)
    assert "<b>concat</b>: the code this notebook ran: cell [1]</p>" in stubbed["text/html"], stubbed["text/html"][-3000:]

    for shown, cells in ((fixed, "cells [1], [3]"), (elsewhere, "cells [1], [3], [5]")):
        rows, _ = table_rows(shown["text/html"])
        assert [(r[0], r[2]) for r in rows] == [("✔ PASS", "1/1"), ("✔ PASS", "1.5/1.5")]
        assert f"<b>concat</b>: the code this notebook ran: {cells}</p>" in shown["text/html"]
        assert ("Total: 2.5 / 2.5 on the public tests; hidden tests worth 7.5 more points run when your work is "
                "graded") in shown["text/html"]
        assert shown["text/plain"].startswith(f"concat: the code this notebook ran: {cells}\n")


def _shown(cell: Any) -> dict[str, str]:
    """What a cell shows as its result (the check's table), after any text it printed."""
    results = [o for o in cell.outputs if o["output_type"] == "execute_result"]
    assert len(results) == 1, cell.outputs
    return dict(results[0]["data"])
