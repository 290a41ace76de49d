"""End to end through every stage: the same code in any container scores the same; bad input gets a report."""
from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.judge.grading import grade_submission
from grader.judge.plan import Plan

FULL = 10.0


def grade(path: Path, plan: Plan):
    return grade_submission(path, plan, submission_id=path.stem)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def notebook(cells: list[str], version: int = 4) -> str:
    if version == 4:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        return nbformat.writes(nb)
    nb = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(
        cells=[nbformat.v3.new_code_cell(input=c) for c in cells])])
    return nbformat.writes(nb, version=3)


def test_reference_solution_scores_full_marks(tmp_path, concat_plan, solution_code):
    result = grade(write(tmp_path, "concat.py", solution_code), concat_plan)
    assert result.status == "graded"
    assert result.max_score == FULL
    assert result.score == FULL, [(t.outcome.name, t.outcome.message) for t in result.tests if not t.score]


def test_stub_scores_zero(concat_plan):
    result = grade(concat_plan.assignment.stub_py, concat_plan)
    assert result.status == "graded" and result.score == 0
    said = {t.outcome.name: t.outcome.message for t in result.tests}
    assert "store net1 and net2 as attributes" in said.pop("test_subnet_variables_are_tracked")  # its TODO
    assert all("not written yet" in message for message in said.values())


@pytest.mark.parametrize("version", [4, 3])
def test_notebook_of_the_same_code_scores_full(tmp_path, concat_plan, solution_code, version):
    cells = ["%matplotlib inline\n!pip install nothing", solution_code, "print('done')"]
    result = grade(write(tmp_path, "concat.ipynb", notebook(cells, version)), concat_plan)
    assert (result.status, result.score) == ("graded", FULL)
    assert result.submission["kind"] == "notebook"
    assert [d["code"] for d in result.extraction["dropped"]] == ["%matplotlib inline", "!pip install nothing",
                                                                  "print('done')"]


def test_zip_of_the_same_code_scores_full(tmp_path, concat_plan, solution_code):
    archive = tmp_path / "student.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("__MACOSX/._concat.py", "junk")
        zf.writestr("hw/notes.txt", "hello")
        zf.writestr("hw/concat.py", solution_code)
    result = grade(archive, concat_plan)
    assert (result.status, result.score, result.submission["member"]) == ("graded", FULL, "hw/concat.py")


def test_top_level_training_is_dropped_and_fast(tmp_path, concat_plan, solution_code):
    training = (
        "(X, y), _ = tf.keras.datasets.fashion_mnist.load_data()\n"
        "X = X.reshape(-1, 784).astype('float32') / 255\n"
        "model = tf.keras.Sequential([ConcatBlock(tf.keras.layers.Dense(64), tf.keras.layers.Dense(64)),"
        " tf.keras.layers.Dense(10)])\n"
        "model.compile('adam', 'mse')\n"
        "history = model.fit(X, X[:, :10], epochs=30)\n"
    )
    path = write(tmp_path, "concat.ipynb", notebook([solution_code, training]))
    started = time.monotonic()
    result = grade(path, concat_plan)
    assert (result.status, result.score) == ("graded", FULL)
    assert time.monotonic() - started < 60  # a 30-epoch fit on 60k rows would take minutes
    dropped = [d["code"] for d in result.extraction["dropped"]]
    assert any("model.fit" in d for d in dropped) and any("load_data" in d for d in dropped)


@pytest.mark.parametrize(("name", "content", "kind", "says"), [
    ("concat.py", "class ConcatBlock(tf.keras.Model:\n    pass\n", "syntax", "line 1"),
    ("concat.py", "", "empty", "empty"),
    ("concat.py", "import tensorflow as tf\nclass Concatblock(tf.keras.Model):\n    pass\n", "missing-name",
     "found 'Concatblock'"),
    ("concat.ipynb", '{"cells": [', "notebook", "not valid JSON"),
    ("concat.py", "\x00\x01\x02binary", "binary", "not a text file"),
])
def test_broken_submissions_get_a_clear_error_report(tmp_path, concat_plan, name, content, kind, says):
    result = grade(write(tmp_path, name, content), concat_plan)
    assert result.status == "error" and result.score == 0
    assert result.error["kind"] == kind
    assert says in result.error["message"]
    assert len(result.tests) == 9 and all(t.outcome.outcome == "error" for t in result.tests)
    json.dumps(result.to_dict())  # the report is plain JSON


def test_random_bytes_and_oversized_files(tmp_path, concat_plan):
    noise = tmp_path / "noise.py"
    noise.write_bytes(bytes(range(256)) * 40)
    assert grade(noise, concat_plan).error["kind"] == "binary"
    big = write(tmp_path, "big.py", "x = 1\n" * 400_000)  # 2.4 MB, over the 1 MB test cap
    result = grade(big, concat_plan)
    assert result.error["kind"] == "too-large" and "MB" in result.error["message"]


def test_runtime_error_names_the_students_line(tmp_path, concat_plan, solution_code):
    code = solution_code.replace("return tf.concat(", "raise ValueError('oops')\n        return tf.concat(")
    result = grade(write(tmp_path, "concat.py", code), concat_plan)
    line = code.splitlines().index("        raise ValueError('oops')") + 1
    # one mistake, one clause: the sub-nets are still tracked (read whatever call does), nothing else passes
    assert [t.outcome.name for t in result.tests if t.score] == ["test_subnet_variables_are_tracked"]
    assert f"ValueError at line {line}: oops" in result.tests[0].outcome.message


def test_notebook_errors_name_the_cell(tmp_path, concat_plan, solution_code):
    code = solution_code.replace("return tf.concat(", "raise ValueError('oops')\n        return tf.concat(")
    result = grade(write(tmp_path, "concat.ipynb", notebook(["import numpy as np", code])), concat_plan)
    assert "ValueError at cell 2, line" in result.tests[0].outcome.message


def test_an_endless_loop_times_out_and_scores_zero(tmp_path, concat_plan, solution_code):
    import dataclasses

    from grader.assignments import Limits

    plan = dataclasses.replace(concat_plan, limits=Limits(request_s=2, submission_s=8))
    code = solution_code.replace("return tf.concat(", "while True:\n            pass\n        return tf.concat(")
    started = time.monotonic()
    result = grade(write(tmp_path, "concat.py", code), plan)
    assert time.monotonic() - started < 30
    assert result.score == 0 and "timeout" in result.flags
    assert {t.outcome.outcome for t in result.tests} == {"timeout"}


def test_an_endless_loop_at_import_is_an_error_report(tmp_path, concat_plan, solution_code):
    import dataclasses

    from grader.assignments import Limits

    plan = dataclasses.replace(concat_plan, limits=Limits(request_s=1, submission_s=5))
    result = grade(write(tmp_path, "concat.py", solution_code + "\nwhile 1:\n    pass\n"), plan)
    assert result.status == "graded"  # the loop is top-level work, dropped by extraction
    hidden_loop = solution_code + "\nx = [i for i in iter(int, 1)]\n"
    result = grade(write(tmp_path, "concat2.py", hidden_loop), plan)
    assert result.status == "graded" or result.error["kind"] == "timeout"


def test_spec_lists_are_cached_on_disk_between_runs(tmp_path, monkeypatch, concat_plan):
    import grader.judge.grading as grading

    monkeypatch.setenv("GRADER_CACHE", str(tmp_path / "cache"))
    grading._collect_cached.cache_clear()
    first = grading.collect(concat_plan.specs, concat_plan.visibility)
    assert len(list((tmp_path / "cache").glob("collect-*.json"))) == 1
    grading._collect_cached.cache_clear()  # a new run: nothing in memory
    monkeypatch.setattr(grading, "_collect_now", lambda *a: pytest.fail("collected again"))
    assert grading.collect(concat_plan.specs, concat_plan.visibility) == first
    grading._collect_cached.cache_clear()


def test_a_needed_statement_that_fails_at_load_names_the_graded_name(tmp_path, concat_plan, solution_code):
    code = solution_code.replace("    def call(self, X):", "    def describe(self):\n        return NOTE\n\n"
                                 "    def call(self, X):")
    code = "NOTE = open('/no/such/notes.txt').read()\n" + code
    result = grade(write(tmp_path, "concat.py", code), concat_plan)
    assert (result.status, result.score) == ("graded", FULL)
    assert result.extraction["problems"] == [{"where": "line 1", "needed_by": "ConcatBlock",
                                              "error": "FileNotFoundError: [Errno 2] No such file or directory: "
                                                       "'/no/such/notes.txt'"}]
    assert result.extraction["kept"] == [{"line": 1, "code": "NOTE = open('/no/such/notes.txt').read()",
                                          "needed_by": "ConcatBlock"}]


def test_a_flood_of_failing_lines_is_reported_small_and_graded(tmp_path, concat_plan, solution_code):
    flood = "".join(f"import no_such_module_{i}\nundefined_call_{i}(1)\n" for i in range(3000))
    result = grade(write(tmp_path, "concat.py", solution_code + flood), concat_plan)
    assert (result.status, result.score) == ("graded", FULL)
    extraction = result.extraction
    assert len(extraction["problems"]) == 50 and extraction["problems_left_out"] == 2950
    assert extraction["problems"][0]["error"] == "ModuleNotFoundError: No module named 'no_such_module_0'"
    assert len(extraction["dropped"]) == 50 and extraction["dropped_left_out"] == 2950
    assert len(json.dumps(result.to_dict())) < 100_000


def test_tests_keep_their_clauses_when_work_is_held_unrun_or_not_graded(tmp_path, concat_plan, solution_code):
    """Every report's test entries carry the contract sentence their spec names (docs/CLI.md), held ones too."""
    held, broken = tmp_path / "held" / "concat.py", tmp_path / "broken" / "concat.py"
    for path, code in ((held, "import grader.worker.serve\n" + solution_code), (broken, "def broken(:\n")):
        path.parent.mkdir()
        path.write_text(code, encoding="utf-8")
    reports = [grade_submission(path, concat_plan, submission_id="x").to_dict() for path in (held, broken)]
    assert [r["status"] for r in reports] == ["held", "error"]
    clauses = [{t["name"]: t["clause"] for t in r["tests"]} for r in reports]
    assert clauses[0] == clauses[1]
    assert clauses[0]["test_output_shape"] == clauses[0]["test_output_concatenates_both_blocks"] != "test_output_shape"
