"""grader.intake.kernel_history: what a kernel ran, as a notebook numbered by execution count.

A real kernel runs it in tests/output/test_check_result.py; here a stand-in shell holds the
history the way IPython does (`input_hist_raw[n]` is `In [n]`, the running cell included).
"""
from __future__ import annotations

import json
import types
from pathlib import Path

from grader.intake.extract import extract
from grader.intake.ingest import ingest
from grader.intake.kernel_history import describe, ran_cells, write_history


def shell(history: list[str]) -> types.SimpleNamespace:
    return types.SimpleNamespace(history_manager=types.SimpleNamespace(input_hist_raw=[""] + history))


def test_cells_in_the_order_they_ran_without_blanks_or_check_cells():
    ran = shell(["import tensorflow as tf", "", "class ConcatBlock: pass", "from grader import check\ncheck('concat')",
                 "x = 1", "import grader\nresult = grader.check('concat')"])
    assert ran_cells(ran) == [(1, "import tensorflow as tf"), (3, "class ConcatBlock: pass"), (5, "x = 1")]


def test_a_check_cell_that_also_defines_or_imports_something_else_stays():
    defines = "class ConcatBlock:\n    pass\n\nresult = check('concat')"
    imports = "import tensorflow as tf\nfrom grader import check\ncheck('concat')"
    broken = "check('concat'"  # a syntax error: the extraction says so, like any notebook cell's
    assert ran_cells(shell([defines, imports, broken])) == [(1, defines), (2, imports), (3, broken)]


def test_a_rerun_cell_is_history_like_any_other():
    assert ran_cells(shell(["A = 1", "A = 2", "check('concat')"])) == [(1, "A = 1"), (2, "A = 2")]


def test_the_notebook_numbers_cells_by_execution_count_and_extraction_says_so(tmp_path: Path):
    cells = [(3, "import math\n"), (7, "%matplotlib inline\ndef area(r):\n    return math.pi * r * r\n"),
             (9, "print(area(2))\n")]
    write_history(cells, tmp_path, "concat.ipynb", tmp_path)
    notebook = json.loads((tmp_path / "concat.ipynb").read_text(encoding="utf-8"))
    assert [c["execution_count"] for c in notebook["cells"]] == [3, 7, 9]
    extracted = extract(ingest(tmp_path / "concat.ipynb", "concat.py"), {"area"})
    assert [number for _, number in extracted.cells] == [3, 7, 9]
    assert [(d.cell, d.line) for d in extracted.dropped] == [(7, 1), (9, 1)]  # the magic, the print
    assert extracted.where(extracted.code.splitlines().index("def area(r):") + 1) == "cell 7, line 2"


def test_files_a_run_line_names_are_copied_beside_it_and_nothing_outside_the_folder(tmp_path: Path):
    kernel = tmp_path / "kernel"
    (kernel / "lib").mkdir(parents=True)
    (kernel / "helpers.py").write_text("SCALE = 2\n")
    (kernel / "lib" / "more.py").write_text("X = 1\n")
    (tmp_path / "secret.py").write_text("TOKEN = 1\n")
    out = tmp_path / "out"
    out.mkdir()
    write_history([(1, "%run helpers\n%run -i lib/more.py\n%run ../secret.py\n%run /etc/passwd")], out,
                  "concat.ipynb", kernel)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "concat.ipynb", "helpers.py", "lib/more.py"]


def test_the_one_line_description_names_the_cells_as_the_student_sees_them():
    assert describe([(3, ""), (5, ""), (7, "")]) == "the code this notebook ran: cells [3], [5], [7]"
    assert describe([(2, "")]) == "the code this notebook ran: cell [2]"
    many = describe([(n, "") for n in range(1, 21)])
    assert many.endswith("[12] and 8 more") and "[13]" not in many
