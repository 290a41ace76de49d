"""Tests for grader.extract: what is kept, what is dropped, and where every line ends up."""
from __future__ import annotations

import json

import nbformat
import pytest
from nbformat import v3, v4

from grader.errors import SubmissionError
from grader.extract import Dropped, Extracted, extract
from grader.ingest import Source


def python(text: str) -> Extracted:
    return extract(Source(path="concat.py", kind="python", text=text, sha256=""))


def notebook_text(*cells: str, markdown_first: bool = False) -> str:
    made = [v4.new_code_cell(c) for c in cells]
    if markdown_first:
        made.insert(0, v4.new_markdown_cell("# Exercise"))
    return nbformat.writes(v4.new_notebook(cells=made))


def notebook(*cells: str, markdown_first: bool = False) -> Extracted:
    text = notebook_text(*cells, markdown_first=markdown_first)
    return extract(Source(path="concat.ipynb", kind="notebook", text=text, sha256=""))


def raw_notebook(text: str) -> Extracted:
    return extract(Source(path="concat.ipynb", kind="notebook", text=text, sha256=""))


def lines_by_where(result: Extracted) -> dict[str, str]:
    """Each non-blank line of the kept code under the student's own name for its place."""
    return {result.where(n): line for n, line in enumerate(result.code.splitlines(), start=1) if line.strip()}


SCRIPT = '''\
"""Module docstring."""
import numpy as np
from tensorflow import keras
x = 1; model.fit(X, y)
for i in range(3):
    print(i)
print("hi")
plt.plot([1, 2])
42
y = [i for i in range(3)]
z = np.zeros(3)
def train():
    pass
w = train()
class ConcatBlock(keras.layers.Layer):
    pass
if __name__ == "__main__":
    main()
model.fit(X,
          y, epochs=30)
k: int = 5
k += 1
layer = keras.layers.Dense(3, activation=lambda t: t)
while True:
    pass
with open("f") as f:
    data = f.read()
'''


# --- what is kept and dropped in a .py ---------------------------------------------------------

def test_script_keeps_definitions_and_drops_work() -> None:
    result = python(SCRIPT)
    assert result.kind == "python"
    assert result.cells == ()
    assert result.code.splitlines() == [
        '"""Module docstring."""',
        "import numpy as np",
        "from tensorflow import keras",
        "x = 1; pass",
        "", "", "", "", "", "",
        "z = np.zeros(3)",
        "def train():",
        "    pass",
        "",
        "class ConcatBlock(keras.layers.Layer):",
        "    pass",
        "", "", "", "",
        "k: int = 5",
        "k += 1",
        "layer = keras.layers.Dense(3, activation=lambda t: t)",
        "", "", "", "",
    ]


def test_script_records_dropped_statements_with_line_numbers() -> None:
    result = python(SCRIPT)
    assert result.dropped == (
        Dropped(4, "x = 1; model.fit(X, y)"),
        Dropped(5, "for i in range(3):"),
        Dropped(7, 'print("hi")'),
        Dropped(8, "plt.plot([1, 2])"),
        Dropped(9, "42"),
        Dropped(10, "y = [i for i in range(3)]"),
        Dropped(14, "w = train()"),
        Dropped(17, 'if __name__ == "__main__":'),
        Dropped(19, "model.fit(X,"),
        Dropped(24, "while True:"),
        Dropped(26, 'with open("f") as f:'),
    )
    assert [d.to_dict() for d in result.dropped[:1]] == [{"line": 4, "code": "x = 1; model.fit(X, y)"}]


def test_script_line_numbers_are_preserved_exactly() -> None:
    result = python(SCRIPT)
    original = SCRIPT.splitlines()
    kept = result.code.splitlines()
    assert len(kept) == len(original)
    for index, line in enumerate(kept):
        if line.strip():
            assert line == original[index] or line.replace("pass", "model.fit(X, y)") == original[index]


def test_defined_names_cover_what_the_kept_code_binds() -> None:
    result = python(SCRIPT)
    assert set(result.defined) == {"np", "keras", "x", "train", "ConcatBlock", "z", "k", "layer"}
    assert "y" not in result.defined and "w" not in result.defined


def test_statement_after_dropped_call_on_same_line_is_kept() -> None:
    result = python("import os\nmodel.fit(X); x = 2\n")
    assert result.code == "import os\npass; x = 2\n"
    assert result.dropped == (Dropped(2, "model.fit(X); x = 2"),)


def test_multiline_drop_between_kept_statements_on_its_lines() -> None:
    result = python("a = 1; fit(X,\n   y); b = 2\nc = 3\n")
    assert result.code == "a = 1; pass\npass; b = 2\nc = 3\n"
    namespace: dict[str, object] = {}
    exec(compile(result.code, "kept", "exec"), namespace)  # the kept text is valid Python
    assert (namespace["a"], namespace["b"], namespace["c"]) == (1, 2, 3)


def test_main_guard_is_dropped() -> None:
    result = python('def f():\n    return 1\n\nif __name__ == "__main__":\n    f()\n    print(f())\n')
    assert result.code == "def f():\n    return 1\n\n\n\n\n"
    assert result.dropped == (Dropped(4, 'if __name__ == "__main__":'),)


def test_assignment_that_calls_work_or_own_functions_is_dropped() -> None:
    source = ("import numpy as np\n"
              "def build():\n    return 1\n"
              "a = build()\n"
              "(X, y), _ = keras.datasets.mnist.load_data()\n"
              "history = model.fit(X, y, epochs=30)\n"
              "b = train_model()\n"
              "c = np.ones(3)\n")
    result = python(source)
    assert [d.line for d in result.dropped] == [4, 5, 6, 7]
    assert result.code.splitlines()[-1] == "c = np.ones(3)"


def test_try_import_is_kept_but_try_with_work_is_dropped() -> None:
    kept = "try:\n    import tensorflow as tf\nexcept ImportError:\n    tf = None\n"
    assert python(kept).code == kept
    worked = "try:\n    model.fit(X)\nexcept Exception:\n    pass\n"
    result = python(worked)
    assert result.code == "\n\n\n\n"
    assert result.dropped == (Dropped(1, "try:"),)


def test_dropped_code_is_quoted_up_to_100_characters() -> None:
    long_call = "print(" + "'a' + " * 40 + "'a')"
    result = python(long_call + "\n")
    assert result.dropped[0].code == long_call[:100]


def test_syntax_error_in_a_script_names_the_line() -> None:
    with pytest.raises(SubmissionError) as info:
        python("import numpy as np\n\nb = = 2\n")
    assert info.value.kind == "syntax"
    assert info.value.message == "Syntax error at line 3 (invalid syntax): b = = 2"


def test_unclosed_bracket_in_a_script_names_the_line() -> None:
    with pytest.raises(SubmissionError) as info:
        python("x = 1\ny = (1,\n")
    assert info.value.kind == "syntax"
    assert info.value.message.startswith("Syntax error at line 2 (")
    assert "never closed" in info.value.message


@pytest.mark.parametrize("text", ["(" * 10000, "x = " + "[" * 5000 + "]" * 5000, "-" * 100000 + "1",
                                  "x = " + "not " * 50000 + "y"])
def test_deeply_nested_code_is_a_submission_error_not_a_crash(text: str) -> None:
    with pytest.raises(SubmissionError) as info:
        python(text + "\n")
    assert info.value.kind == "syntax"


# --- notebooks -------------------------------------------------------------------------------

def test_notebook_keeps_code_cells_and_maps_them() -> None:
    result = notebook("import numpy as np", "x = 3\ny = 4", markdown_first=True)
    assert result.kind == "notebook"
    assert result.code == "import numpy as np\n\nx = 3\ny = 4\n\n"
    assert result.cells == ((1, 2), (3, 3))  # cell numbers count markdown cells too
    assert result.where(1) == "cell 2, line 1"
    assert result.where(3) == "cell 3, line 1"
    assert result.where(4) == "cell 3, line 2"
    assert result.locate(4) == (3, 2)


def test_script_where_is_a_plain_line() -> None:
    result = python("x = 1\ny = 2\n")
    assert result.where(2) == "line 2"
    assert result.locate(2) == (None, 2)


def test_notebook_drops_are_recorded_with_cell_numbers() -> None:
    result = notebook("import numpy as np", "model.fit(X, y, epochs=30)\nw = 1", "print(w)", markdown_first=True)
    assert result.dropped == (Dropped(1, "model.fit(X, y, epochs=30)", cell=3), Dropped(1, "print(w)", cell=4))
    assert result.dropped[0].to_dict() == {"line": 1, "code": "model.fit(X, y, epochs=30)", "cell": 3}
    assert lines_by_where(result) == {"cell 2, line 1": "import numpy as np", "cell 3, line 2": "w = 1"}


def test_thirty_epoch_training_cell_is_dropped() -> None:
    cells = [
        "import numpy as np\nfrom tensorflow import keras",
        "class ConcatBlock(keras.layers.Layer):\n    def call(self, x):\n        return x",
        "model = keras.Sequential([ConcatBlock()])\nmodel.compile(optimizer='adam', loss='mse')",
        "history = model.fit(X_train, y_train,\n                    epochs=30, batch_size=32,\n"
        "                    validation_split=0.1)",
        "model.fit(X_train, y_train, epochs=30)",
        "plt.plot(history.history['loss'])\nplt.show()",
    ]
    result = notebook(*cells)
    assert "fit" not in result.code
    assert "plt" not in result.code
    assert [(d.cell, d.line, d.code) for d in result.dropped] == [
        (3, 1, "model = keras.Sequential([ConcatBlock()])"),  # calls the student's own class: work
        (3, 2, "model.compile(optimizer='adam', loss='mse')"),
        (4, 1, "history = model.fit(X_train, y_train,"),
        (5, 1, "model.fit(X_train, y_train, epochs=30)"),
        (6, 1, "plt.plot(history.history['loss'])"),
        (6, 2, "plt.show()"),
    ]
    assert lines_by_where(result)["cell 2, line 3"] == "        return x"


def test_magics_and_shell_lines_are_dropped() -> None:
    result = notebook("%matplotlib inline\nimport numpy as np", "!pip install tensorflow\nfiles = !ls\nx = 3")
    assert "get_ipython" not in result.code
    assert "pip" not in result.code
    assert lines_by_where(result) == {"cell 1, line 2": "import numpy as np", "cell 2, line 3": "x = 3"}
    assert result.dropped == (
        Dropped(1, "%matplotlib inline", cell=1),
        Dropped(1, "!pip install tensorflow", cell=2),
        Dropped(2, "files = !ls", cell=2),
    )
    assert "files" not in result.defined


def test_time_cell_magic_keeps_the_function_it_defines() -> None:
    result = notebook("import numpy as np", "%%time\ndef concat(a, b):\n    return np.concatenate([a, b])\n")
    assert "def concat(a, b):" in result.code
    assert "concat" in result.defined
    assert lines_by_where(result)["cell 2, line 2"] == "def concat(a, b):"
    assert lines_by_where(result)["cell 2, line 3"] == "    return np.concatenate([a, b])"
    assert "%%time" not in result.code
    namespace: dict[str, object] = {}
    exec(compile(result.code, "kept", "exec"), namespace)
    assert callable(namespace["concat"])


@pytest.mark.parametrize("magic", ["%%capture", "%%timeit", "%%prun"])
def test_other_python_cell_magics_keep_their_body(magic: str) -> None:
    result = notebook(f"{magic}\nx = 5\ndef f():\n    return x")
    assert lines_by_where(result)["cell 1, line 2"] == "x = 5"
    assert {"x", "f"} <= set(result.defined)


def test_shell_cell_magic_is_dropped_whole() -> None:
    result = notebook("%%bash\necho hi\nrm -rf /", "x = 1")
    assert lines_by_where(result) == {"cell 2, line 1": "x = 1"}
    assert result.dropped[0].cell == 1


def test_inline_line_magic_between_kept_lines_keeps_numbering() -> None:
    result = notebook("a = 1\n%time b = 2\nc = 3")
    assert lines_by_where(result) == {"cell 1, line 1": "a = 1", "cell 1, line 3": "c = 3"}
    assert result.dropped == (Dropped(2, "%time b = 2", cell=1),)


def test_leading_blank_lines_in_a_cell_keep_numbering() -> None:
    result = notebook("\n\n%matplotlib inline\nx = 1\n")
    assert lines_by_where(result) == {"cell 1, line 4": "x = 1"}


def test_shell_line_continued_with_backslash_keeps_numbering() -> None:
    # `!pip install \` + an indented next line is one shell command over two lines;
    # the line after it is still line 3 of the cell in the student's notebook.
    result = notebook("!pip install \\\n    tensorflow\nx = 1")
    assert lines_by_where(result) == {"cell 1, line 3": "x = 1"}


def test_cell_with_syntax_error_is_skipped_with_a_note() -> None:
    result = notebook("import numpy as np", "def broken(:\n    pass", "y = 2")
    assert result.notes == ("cell 2 was skipped: syntax error at line 1 (invalid syntax).",)
    assert lines_by_where(result) == {"cell 1, line 1": "import numpy as np", "cell 3, line 1": "y = 2"}
    assert "broken" not in result.code


def test_cell_too_deeply_nested_is_skipped_with_a_note() -> None:
    result = notebook("x = 1", "(" * 10000)
    assert len(result.notes) == 1 and result.notes[0].startswith("cell 2 was skipped")
    assert lines_by_where(result) == {"cell 1, line 1": "x = 1"}


def test_ingest_notes_come_first() -> None:
    text = notebook_text("x = 1", "def broken(:\n    pass")
    source = Source(path="n.ipynb", kind="notebook", text=text, sha256="", notes=("from ingest",))
    assert extract(source).notes == ("from ingest", "cell 2 was skipped: syntax error at line 1 (invalid syntax).")


def test_notebook_v3_with_worksheets() -> None:
    old = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[
        v3.new_text_cell("markdown", source="# Exercise"),
        v3.new_code_cell(input="import numpy as np\nmodel.fit(x)\nw = 1"),
    ])])
    text = nbformat.writes(old, version=3)
    assert '"worksheets"' in text
    result = raw_notebook(text)
    assert lines_by_where(result) == {"cell 2, line 1": "import numpy as np", "cell 2, line 3": "w = 1"}
    assert result.dropped == (Dropped(2, "model.fit(x)", cell=2),)


def test_notebook_v3_written_as_plain_json() -> None:
    text = json.dumps({"metadata": {}, "nbformat": 3, "nbformat_minor": 0, "worksheets": [{"metadata": {}, "cells": [
        {"cell_type": "code", "input": ["x = 1\n", "print(x)"], "language": "python", "metadata": {}, "outputs": []},
    ]}]})
    result = raw_notebook(text)
    assert lines_by_where(result) == {"cell 1, line 1": "x = 1"}
    assert result.dropped == (Dropped(2, "print(x)", cell=1),)


def test_notebook_without_code_cells_gives_an_empty_module() -> None:
    result = raw_notebook(nbformat.writes(v4.new_notebook(cells=[v4.new_markdown_cell("hi")])))
    assert result.code.strip() == "" and result.dropped == ()


def test_invalid_json_notebook() -> None:
    with pytest.raises(SubmissionError) as info:
        raw_notebook("{not json")
    assert info.value.kind == "notebook"
    assert info.value.message == ("The notebook is not valid JSON (Notebook does not appear to be JSON: '{not json'); "
                                  "open it in Jupyter and save it again.")


@pytest.mark.parametrize("text", ["[]", "{}", '"a string"', '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, '
                                  '"cells": 5}'])
def test_json_that_is_not_a_notebook(text: str) -> None:
    with pytest.raises(SubmissionError) as info:
        raw_notebook(text)
    assert info.value.kind == "notebook"
    assert info.value.message.startswith("The notebook could not be read (")


def test_where_counts_lines_from_the_start_of_each_cell() -> None:
    result = notebook("a = 1\nb = 2", "c = 3\nd = 4\ne = 5")
    assert result.where(4) == "cell 2, line 1"
    assert result.where(6) == "cell 2, line 3"
    assert result.where(2) == "cell 1, line 2"
