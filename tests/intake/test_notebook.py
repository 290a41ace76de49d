"""Notebook cells become one Python text, line for line, as Jupyter would have run them."""
from __future__ import annotations

import ast

import nbformat
import pytest

from grader.errors import SubmissionError
from grader.intake.notebook import looks_like_notebook, normalize_newlines, notebook_code, read_cells, split_lines


def notebook(*cells: str, markdown_first: bool = False) -> str:
    made = [nbformat.v4.new_code_cell(c) for c in cells]
    if markdown_first:
        made.insert(0, nbformat.v4.new_markdown_cell("# Exercise"))
    return nbformat.writes(nbformat.v4.new_notebook(cells=made))


def test_only_the_line_ends_python_knows_split_lines():
    text = normalize_newlines("a = 1\r\nb = 2\rc = 3\x0cd\u2028e\n")
    assert split_lines(text) == ["a = 1", "b = 2", "c = 3\x0cd\u2028e", ""]


def test_cells_keep_their_numbers_and_magics_become_statements_that_parse():
    cells = notebook("%matplotlib inline\nimport numpy as np", "!pip install tensorflow\nX = np.ones(3)",
                     markdown_first=True)
    out = notebook_code(cells, {})
    ast.parse(out.code)
    assert [number for _, number in out.starts] == [2, 3]  # the markdown cell counts
    assert "import numpy as np" in out.code and "X = np.ones(3)" in out.code
    assert out.shown[0] == "%matplotlib inline"  # reports quote the student's own line


def test_a_magic_inside_a_block_keeps_the_block():
    out = notebook_code(notebook("try:\n    import keras\nexcept ImportError:\n    !pip install keras\n"), {})
    tree = ast.parse(out.code)
    assert isinstance(tree.body[0], ast.Try)


def test_crlf_continuations_of_shell_lines_do_not_lose_the_cell():
    out = notebook_code(notebook("!pip install \\\r\n    tensorflow\r\nimport math\r\n"), {})
    assert "import math" in out.code and out.notes == []


def test_writefile_cells_become_modules_and_do_not_run():
    out = notebook_code(notebook("%%writefile helpers.py\ndef double(x):\n    return 2 * x\n",
                                 "from helpers import double"), {})
    assert out.modules["helpers"][0] == "def double(x):\n    return 2 * x\n"
    assert "def double" not in out.code


def test_run_of_a_file_the_submission_holds_imports_it_and_a_missing_one_is_named():
    out = notebook_code(notebook("%run blocks.py"), {"blocks.py": "X = 1\n"})
    assert "from blocks import *" in out.code and out.runs == [("blocks", "blocks.py", 1, 1)]
    with pytest.raises(SubmissionError) as info:
        notebook_code(notebook("import os", "%run missing.py"), {})
    assert info.value.kind == "run" and "cell 2, line 1" in info.value.message and "missing.py" in info.value.message


def test_a_cell_that_does_not_parse_is_skipped_with_a_note():
    out = notebook_code(notebook("def broken(:\n    pass", "Y = 2"), {})
    assert "Y = 2" in out.code
    assert out.notes == ["cell 1 was skipped: syntax error at line 1 (invalid syntax)."]


def test_notebook_json_in_a_py_file_is_recognised_and_broken_json_is_a_clear_error():
    assert looks_like_notebook(notebook("x = 1"))
    assert not looks_like_notebook("{'not': 'json'}") and not looks_like_notebook("x = {}")
    with pytest.raises(SubmissionError) as info:
        read_cells('{"cells": [')
    assert info.value.kind == "notebook" and "not valid JSON" in info.value.message
