"""Hand-written mutants as small diffs against the solution: the code they stand for, and their errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.assignments import list_assignments, load_assignment
from grader.course.mutants import (MutantError, apply_hunks, docstring, make_diff, materialize, mutant_source,
                                   parse_hunks, raw_docstring, replace_docstring)
from grader.course.selfcheck import declared_fails

SOLUTION = '''"""Reference solution for `scale`."""
import numpy as np


def scale(x, factor=2.0):
    """x times factor."""
    return np.asarray(x) * factor


def offset(x):
    return np.asarray(x) + 1
'''

FULL_COPY = '''"""Mutant: adds instead of multiplying.

Fails: test_scales
"""
import numpy as np


def scale(x, factor=2.0):
    """x times factor."""
    return np.asarray(x) + factor


def offset(x):
    return np.asarray(x) + 1
'''


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_diff_mutant_stands_for_exactly_the_full_copy(tmp_path):
    diff = make_diff(SOLUTION, FULL_COPY)
    assert diff == ('Mutant: adds instead of multiplying.\n\nFails: test_scales\n--- solution.py\n+++ solution.py\n'
                    '@@ -5,5 +5,5 @@\n def scale(x, factor=2.0):\n     """x times factor."""\n'
                    '-    return np.asarray(x) * factor\n+    return np.asarray(x) + factor\n \n \n')
    solution = write(tmp_path, "solution.py", SOLUTION)
    mutant = write(tmp_path, "adds.diff", diff)
    assert mutant_source(mutant, solution) == FULL_COPY
    assert docstring(mutant) == "Mutant: adds instead of multiplying.\n\nFails: test_scales\n"
    assert declared_fails(mutant) == {"test_scales"}
    made = materialize(mutant, solution, tmp_path / "graded")
    assert made == tmp_path / "graded" / "adds.py" and made.read_text(encoding="utf-8") == FULL_COPY
    copy = write(tmp_path, "copy.py", FULL_COPY)
    assert materialize(copy, solution, tmp_path / "graded") == copy and mutant_source(copy, solution) == FULL_COPY


def test_a_hand_written_diff_applies_where_its_lines_are_even_when_the_solution_moved(tmp_path):
    """What `diff -u` writes (dates on the file lines), one line of context; the solution has since grown lines
    above the change."""
    solution = write(tmp_path, "solution.py", SOLUTION.replace("import numpy as np\n", "import numpy as np\nimport os\n"
                                                               "import sys\n"))
    mutant = write(tmp_path, "one.diff", "Mutant: offset by 2.\n\nFails: test_offset\n\n"
                   "--- solution.py\t2026-12-01 10:00:00.000000000 +0100\n+++ mine.py\t2026-12-01 10:01:00 +0100\n"
                   "@@ -10,2 +10,2 @@ def offset(x):\n def offset(x):\n-    return np.asarray(x) + 1\n"
                   "+    return np.asarray(x) + 2\n")
    code = mutant_source(mutant, solution)
    assert code.startswith('"""Mutant: offset by 2.\n\nFails: test_offset\n"""\nimport numpy as np\nimport os\n')
    assert code.endswith("def offset(x):\n    return np.asarray(x) + 2\n")
    assert declared_fails(mutant) == {"test_offset"}


def test_a_hunk_the_solution_no_longer_has_is_an_error_that_names_it(tmp_path):
    solution = write(tmp_path, "solution.py", SOLUTION)
    mutant = write(tmp_path, "gone.diff", "Mutant.\n--- solution.py\n+++ solution.py\n@@ -7 +7 @@\n"
                   "-    return x * factor\n+    return x + factor\n")
    with pytest.raises(MutantError, match=r"gone.diff: hunk 1 \(at line 7 of solution.py\) does not apply: the "
                                          r"solution no longer has these lines:\n    return x \* factor"):
        mutant_source(mutant, solution)
    with pytest.raises(MutantError, match="needs a unified diff against solution.py"):
        mutant_source(write(tmp_path, "bare.diff", "Mutant: no diff here.\n"), solution)
    with pytest.raises(MutantError, match="has no hunk"):
        mutant_source(write(tmp_path, "empty.diff", "Mutant.\n--- solution.py\n+++ solution.py\n"), solution)


def test_of_two_places_with_the_same_lines_the_one_the_header_names_wins():
    text = "a\nx\nb\nx\nc\n"
    assert apply_hunks(text, parse_hunks("@@ -4 +4 @@\n-x\n+y\n")) == "a\nx\nb\ny\nc\n"
    assert apply_hunks(text, parse_hunks("@@ -2 +2 @@\n-x\n+y\n")) == "a\ny\nb\nx\nc\n"
    hunks = parse_hunks("@@ -2 +2,2 @@\n-x\n+y\n+z\n@@ -4 +5 @@\n-x\n+w\n")  # the second after the first
    assert apply_hunks(text, hunks) == "a\ny\nz\nb\nw\nc\n"


def test_no_newline_at_the_end_and_a_solution_without_a_docstring(tmp_path):
    solution = write(tmp_path, "solution.py", "x = 1\ny = 2")
    assert mutant_source(write(tmp_path, "one.diff", "Mutant: one line.\n--- solution.py\n+++ solution.py\n@@ -1 +1 @@\n"
                               "-x = 1\n+x = 0\n"), solution) == '"""Mutant: one line."""\nx = 0\ny = 2'
    mutant = write(tmp_path, "m.diff", "Mutant: y is 3.\n\nFails: test_y\n--- solution.py\n+++ solution.py\n"
                   "@@ -2 +2 @@\n-y = 2\n\\ No newline at end of file\n+y = 3\n\\ No newline at end of file\n")
    assert mutant_source(mutant, solution) == '"""Mutant: y is 3.\n\nFails: test_y\n"""\nx = 1\ny = 3'
    assert make_diff("x = 1\ny = 2", '"""M."""\nx = 1\ny = 3') is None  # no docstring in the solution to keep


def test_docstrings_are_replaced_as_written():
    code = '"""Caf\u00e9 \\\\ first."""\nx = 1\n'
    assert raw_docstring(code) == "Caf\u00e9 \\\\ first."
    assert replace_docstring(code, '"""New."""') == '"""New."""\nx = 1\n'
    assert raw_docstring("'''Single quotes.'''\n") is None and raw_docstring("x = 1\n") is None


@pytest.mark.parametrize("slug", list_assignments())
def test_every_diff_mutant_of_the_course_applies_and_changes_the_solution(slug):
    assignment = load_assignment(slug)
    for mutant in assignment.mutants:
        code = mutant_source(mutant, assignment.solution)
        compile(code, str(mutant), "exec")
        assert code != assignment.solution.read_text(encoding="utf-8"), mutant
        assert declared_fails(mutant), mutant
