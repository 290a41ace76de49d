"""Tests for grader.extract: what is kept, what is dropped, and where every line ends up."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable

import nbformat
import pytest
from nbformat import v3, v4

from grader.errors import SubmissionError
from grader.intake.extract import MAX_LISTED, Dropped, Extracted, Kept, extract
from grader.intake.ingest import Source


def python(text: str, roots: list[str] | None = None) -> Extracted:
    return extract(Source(path="concat.py", kind="python", text=text, sha256=""), roots)


def notebook_text(*cells: str, markdown_first: bool = False) -> str:
    made = [v4.new_code_cell(c, id=f"cell-{i}") for i, c in enumerate(cells)]  # random ids can collide
    if markdown_first:
        made.insert(0, v4.new_markdown_cell("# Exercise", id="markdown"))
    return nbformat.writes(v4.new_notebook(cells=made))


def notebook(*cells: str, markdown_first: bool = False, roots: list[str] | None = None,
             files: tuple[tuple[str, str], ...] = ()) -> Extracted:
    text = notebook_text(*cells, markdown_first=markdown_first)
    return extract(Source(path="concat.ipynb", kind="notebook", text=text, sha256="", files=files), roots)


def raw_notebook(text: str, roots: list[str] | None = None) -> Extracted:
    return extract(Source(path="concat.ipynb", kind="notebook", text=text, sha256=""), roots)


def lines_by_where(result: Extracted) -> dict[str, str]:
    """Each non-blank line of the kept code under the student's own name for its place."""
    return {result.where(n): line for n, line in enumerate(result.code.splitlines(), start=1) if line.strip()}


# --- keep what the graded names need -------------------------------------------------------------

SCRIPT = '''\
"""Module docstring."""
import numpy as np
from tensorflow import keras
AXIS = -1; model.fit(X, y)
for i in range(3):
    print(i)
print("hi")
UNITS = 4
def helper(x):
    return np.concatenate(x, axis=AXIS)
class ConcatBlock(keras.layers.Layer):
    def call(self, x):
        model = helper(x)
        return model
model = keras.Sequential([ConcatBlock()])
model.fit(X,
          y, epochs=30)
if __name__ == "__main__":
    main()
'''


def test_definitions_the_roots_need_are_kept_and_everything_else_dropped() -> None:
    result = python(SCRIPT, roots=["ConcatBlock"])
    assert result.code.splitlines() == [
        '"""Module docstring."""',
        "import numpy as np",
        "from tensorflow import keras",
        "AXIS = -1; pass",
        "", "", "", "",
        "def helper(x):",
        "    return np.concatenate(x, axis=AXIS)",
        "class ConcatBlock(keras.layers.Layer):",
        "    def call(self, x):",
        "        model = helper(x)",
        "        return model",
        "", "", "", "", "",
    ]
    assert [(d.line, d.code) for d in result.dropped] == [
        (4, "AXIS = -1; model.fit(X, y)"), (5, "for i in range(3):"),
        (7, 'print("hi")'), (8, "UNITS = 4"), (15, "model = keras.Sequential([ConcatBlock()])"),
        (16, "model.fit(X,"), (18, 'if __name__ == "__main__":')]
    assert result.kept == (Kept(4, "AXIS = -1; model.fit(X, y)", "ConcatBlock"),)
    assert result.needed_by(4) == "ConcatBlock" and result.needed_by(15) is None


def test_a_local_name_in_a_kept_function_does_not_keep_the_global_of_that_name() -> None:
    # `model` inside call() is local: the top-level `model` and its 30-epoch fit stay dropped.
    result = python(SCRIPT, roots=["ConcatBlock"])
    assert "fit" not in result.code and "Sequential" not in result.code
    assert result.unrun_binding("model") == (15, "model = keras.Sequential([ConcatBlock()])")
    assert result.unrun_binding("AXIS") is None


def test_without_roots_every_function_and_class_is_a_root() -> None:
    result = python(SCRIPT)
    assert "def helper(x):" in result.code and "class ConcatBlock" in result.code
    assert {"np", "keras", "AXIS", "helper", "ConcatBlock"} == set(result.defined)


def test_line_numbers_are_preserved_exactly() -> None:
    result = python(SCRIPT, roots=["ConcatBlock"])
    original = SCRIPT.splitlines()
    kept = result.code.splitlines()
    assert len(kept) == len(original)
    for index, line in enumerate(kept):
        if line.strip():
            assert line == original[index] or line.replace("pass", "model.fit(X, y)") == original[index]


def test_statements_that_change_a_needed_global_are_kept_in_order() -> None:
    source = ("import tensorflow as tf\n"
              "BRANCHES = []\n"
              "CONFIG = {}\n"
              "for width in (2, 3):\n"
              "    BRANCHES.append(tf.keras.layers.Dense(width))\n"
              "    print(width)\n"
              "CONFIG['axis'] = -1\n"
              "CONFIG.update(scale=2)\n"
              "SCALE = 1\n"
              "SCALE += 1\n"
              "demo = [b for b in BRANCHES]\n"
              "def build():\n"
              "    return BRANCHES, CONFIG['axis'], SCALE\n")
    result = python(source, roots=["build"])
    assert result.code.splitlines() == [
        "import tensorflow as tf", "BRANCHES = []", "CONFIG = {}", "for width in (2, 3):",
        "    BRANCHES.append(tf.keras.layers.Dense(width))", "", "CONFIG['axis'] = -1",
        "CONFIG.update(scale=2)", "SCALE = 1", "SCALE += 1", "",
        "def build():", "    return BRANCHES, CONFIG['axis'], SCALE"]
    assert [k.line for k in result.kept] == [2, 3, 4, 7, 8, 9, 10]
    assert {k.needed_by for k in result.kept} == {"build"}


def test_a_needed_statement_may_call_the_students_own_class() -> None:
    source = ("class Scale:\n    def __init__(self, s):\n        self.s = s\n"
              "identity = Scale(1.0)\n"
              "def apply(x):\n    return identity.s * x\n")
    result = python(source, roots=["apply"])
    assert "identity = Scale(1.0)" in result.code and "class Scale:" in result.code
    assert result.dropped == ()


def test_decorators_defaults_and_bases_are_reads_of_a_definition() -> None:
    source = ("import functools\n"
              "deco = functools.lru_cache\n"
              "DEFAULT = 3\n"
              "class Base:\n    pass\n"
              "@deco(maxsize=None)\n"
              "def f(x=DEFAULT):\n    return x\n"
              "class C(Base):\n    pass\n"
              "unused = 1\n")
    result = python(source, roots=["f", "C"])
    assert [d.code for d in result.dropped] == ["unused = 1"]


def test_a_function_that_sets_a_global_is_kept_with_the_call_that_runs_it() -> None:
    source = ("MODEL = None\n"
              "def setup():\n    global MODEL\n    MODEL = 5\n"
              "setup()\n"
              "def predict(x):\n    return MODEL * x\n"
              "train()\n")
    result = python(source, roots=["predict"])
    assert result.code.splitlines()[4] == "setup()"
    assert [d.code for d in result.dropped] == ["train()"]


def test_definitions_inside_with_if_and_try_keep_their_block_and_drop_the_rest() -> None:
    source = ("import tensorflow as tf\n"
              "strategy = tf.distribute.MirroredStrategy()\n"
              "with strategy.scope():\n"
              "    class ConcatBlock(tf.keras.Model):\n"
              "        pass\n"
              "    model = ConcatBlock()\n"
              "    model.fit(X, epochs=30)\n"
              "USE_GPU = False\n"
              "if USE_GPU:\n"
              "    def helper():\n        return 1\n"
              "else:\n"
              "    print('cpu')\n"
              "    def helper():\n        return 2\n"
              "try:\n"
              "    def other():\n        return helper()\n"
              "except Exception:\n"
              "    other = None\n")
    result = python(source, roots=["ConcatBlock", "other"])
    lines = result.code.splitlines()
    assert lines[2:7] == ["with strategy.scope():", "    class ConcatBlock(tf.keras.Model):", "        pass", "", ""]
    assert lines[8:15] == ["if USE_GPU:", "    def helper():", "        return 1", "else:", "", "    def helper():",
                           "        return 2"]
    assert lines[15:] == ["try:", "    def other():", "        return helper()", "except Exception:",
                          "    other = None"]
    assert {(k.code, k.needed_by) for k in result.kept} == {
        ("strategy = tf.distribute.MirroredStrategy()", "ConcatBlock"), ("with strategy.scope():", "ConcatBlock"),
        ("USE_GPU = False", "other"), ("if USE_GPU:", "other"), ("try:", "other")}
    namespace: dict[str, object] = {}
    exec(compile(result.code.replace("tf.distribute.MirroredStrategy()", "__import__('contextlib')")
                 .replace("strategy.scope()", "strategy.nullcontext()").replace("tf.keras.Model", "object")
                 .replace("import tensorflow as tf", ""), "kept", "exec"), namespace)
    assert namespace["other"]() == 2  # type: ignore[operator]


def test_a_block_whose_whole_body_is_dropped_keeps_a_pass() -> None:
    source = "try:\n    import tensorflow as tf\nexcept ImportError:\n    print('install it')\n    raise\n"
    result = python(source, roots=[])
    assert result.code == "try:\n    import tensorflow as tf\nexcept ImportError:\n    pass\n\n"
    compile(result.code, "kept", "exec")


def test_statement_after_dropped_call_on_same_line_is_kept() -> None:
    result = python("import os\nmodel.fit(X); x = 2\ndef f():\n    return x\n", roots=["f"])
    assert result.code == "import os\npass; x = 2\ndef f():\n    return x\n"
    assert result.dropped == (Dropped(2, "model.fit(X); x = 2"),)


def test_multiline_drop_between_kept_statements_on_its_lines() -> None:
    result = python("a = 1; fit(X,\n   y); b = 2\nc = 3\ndef f():\n    return a, b, c\n", roots=["f"])
    assert result.code == "a = 1; (None\n); b = 2\nc = 3\ndef f():\n    return a, b, c\n"
    namespace: dict[str, object] = {}
    exec(compile(result.code, "kept", "exec"), namespace)  # the kept text is valid Python
    assert namespace["f"]() == (1, 2, 3)  # type: ignore[operator]


def test_multiline_drop_inside_a_block_keeps_the_next_statement_indented() -> None:
    result = python("if True:\n    fit(X,\n        y); b = 2\n    print(b)\ndef f():\n    return b\n", roots=["f"])
    assert result.code.split("\n")[:4] == ["if True:", "    (None", "); b = 2", ""]
    namespace: dict[str, object] = {}
    exec(compile(result.code, "kept", "exec"), namespace)
    assert namespace["b"] == 2


def test_columns_are_bytes_so_non_ascii_text_before_a_drop_is_kept_whole() -> None:
    result = python("name = 'héllo'; fit()\ndef f():\n    return name\n", roots=["f"])
    assert result.code.splitlines()[0] == "name = 'héllo'; pass"


def test_decorated_dropped_definition_is_blanked_from_its_decorator() -> None:
    result = python("@tf.function\ndef demo():\n    return 1\nx = 1\n", roots=["x"])
    assert result.code == "\n\n\nx = 1\n"


def test_main_guard_is_dropped() -> None:
    result = python('def f():\n    return 1\n\nif __name__ == "__main__":\n    f()\n    print(f())\n', roots=["f"])
    assert result.code == "def f():\n    return 1\n\n\n\n\n"
    assert result.dropped == (Dropped(4, 'if __name__ == "__main__":'),)


def test_dropped_code_is_quoted_up_to_100_characters() -> None:
    long_call = "print(" + "'a' + " * 40 + "'a')"
    result = python(long_call + "\n")
    assert result.dropped[0].code == long_call[:100]


# --- text as editors write it ------------------------------------------------------------------

@pytest.mark.parametrize("odd", ["\x0c", "\u2028", "\x1c", "\x85", "\u2029"])
def test_only_python_line_ends_count(odd: str) -> None:
    # str.splitlines() also splits on these; Python does not, so neither may the line map.
    source = f"import numpy as np\n# slide 3{odd}\nmodel.fit(X, epochs=30)\ndef f():\n    return np\n"
    result = python(source, roots=["f"])
    assert result.code.split("\n")[2] == ""
    assert "fit" not in result.code
    assert result.dropped == (Dropped(3, "model.fit(X, epochs=30)"),)
    compile(result.code, "kept", "exec")


def test_form_feed_from_pasted_slides_between_statements() -> None:
    source = "import numpy as np\n\x0c\ndef f():\n    return np.ones(2)\n\x0cprint(f())\n"
    result = python(source, roots=["f"])
    assert result.code.split("\n")[2:4] == ["def f():", "    return np.ones(2)"]
    assert [d.line for d in result.dropped] == [5]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_ends(newline: str) -> None:
    source = newline.join(["import numpy as np", "x = fit()", "def f():", "    return np", ""])
    result = python(source, roots=["f"])
    assert result.code == "import numpy as np\n\ndef f():\n    return np\n"
    assert result.dropped == (Dropped(2, "x = fit()"),)


def test_a_py_holding_notebook_json_is_read_as_a_notebook() -> None:
    text = notebook_text("import numpy as np", "def f():\n    return np")
    result = extract(Source(path="/x/concat.py", kind="python", text=text, sha256=""), roots=["f"])
    assert result.kind == "notebook"
    assert lines_by_where(result) == {"cell 1, line 1": "import numpy as np", "cell 2, line 1": "def f():",
                                      "cell 2, line 2": "    return np"}
    assert result.notes[0].startswith("concat.py holds a Jupyter notebook (JSON), so it was read as one")


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
    result = notebook("import numpy as np", "x = 3\ny = 4", markdown_first=True, roots=["x", "y"])
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
    result = notebook("import numpy as np", "model.fit(X, y, epochs=30)\nw = 1", "print(w)", markdown_first=True,
                      roots=["w"])
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
    result = notebook("%matplotlib inline\nimport numpy as np", "!pip install tensorflow\nfiles = !ls\nx = 3", roots=["x"])
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
    result = notebook("%%bash\necho hi\nrm -rf /", "x = 1", roots=["x"])
    assert lines_by_where(result) == {"cell 2, line 1": "x = 1"}
    assert result.dropped[0].cell == 1


def test_inline_line_magic_between_kept_lines_keeps_numbering() -> None:
    result = notebook("a = 1\n%time b = 2\nc = 3", roots=["a", "c"])
    assert lines_by_where(result) == {"cell 1, line 1": "a = 1", "cell 1, line 3": "c = 3"}
    assert result.dropped == (Dropped(2, "%time b = 2", cell=1),)


def test_leading_blank_lines_in_a_cell_keep_numbering() -> None:
    result = notebook("\n\n%matplotlib inline\nx = 1\n", roots=["x"])
    assert lines_by_where(result) == {"cell 1, line 4": "x = 1"}


def test_shell_line_continued_with_backslash_keeps_numbering() -> None:
    # `!pip install \` + an indented next line is one shell command over two lines;
    # the line after it is still line 3 of the cell in the student's notebook.
    result = notebook("!pip install \\\n    tensorflow\nx = 1", roots=["x"])
    assert lines_by_where(result) == {"cell 1, line 3": "x = 1"}


def test_cell_with_syntax_error_is_skipped_with_a_note() -> None:
    result = notebook("import numpy as np", "def broken(:\n    pass", "y = 2", roots=["y"])
    assert result.notes == ("cell 2 was skipped: syntax error at line 1 (invalid syntax).",)
    assert lines_by_where(result) == {"cell 1, line 1": "import numpy as np", "cell 3, line 1": "y = 2"}
    assert "broken" not in result.code


def test_cell_too_deeply_nested_is_skipped_with_a_note() -> None:
    result = notebook("x = 1", "(" * 10000, roots=["x"])
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
    result = raw_notebook(text, roots=["w"])
    assert lines_by_where(result) == {"cell 2, line 1": "import numpy as np", "cell 2, line 3": "w = 1"}
    assert result.dropped == (Dropped(2, "model.fit(x)", cell=2),)


def test_notebook_v3_written_as_plain_json() -> None:
    text = json.dumps({"metadata": {}, "nbformat": 3, "nbformat_minor": 0, "worksheets": [{"metadata": {}, "cells": [
        {"cell_type": "code", "input": ["x = 1\n", "print(x)"], "language": "python", "metadata": {}, "outputs": []},
    ]}]})
    result = raw_notebook(text, roots=["x"])
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


# --- notebooks as Jupyter and Colab write them --------------------------------------------------

def test_crlf_in_a_cell_is_normalised_before_magics() -> None:
    # `!pip install \` continued with Windows line ends used to make the whole cell a syntax error.
    result = notebook("!pip install \\\r\n    tensorflow\r\nimport numpy as np\r\ndef f():\r\n    return np\r\n",
                      roots=["f"])
    assert result.notes == ()
    assert lines_by_where(result) == {"cell 1, line 3": "import numpy as np", "cell 1, line 4": "def f():",
                                      "cell 1, line 5": "    return np"}


def test_shell_line_inside_a_block_becomes_pass_and_the_block_survives() -> None:
    result = notebook("try:\n    import tensorflow as tf\nexcept ImportError:\n    !pip install tensorflow\n",
                      "def f():\n    return tf", roots=["f"])
    assert lines_by_where(result) == {"cell 1, line 1": "try:", "cell 1, line 2": "    import tensorflow as tf",
                                      "cell 1, line 3": "except ImportError:", "cell 1, line 4": "    pass",
                                      "cell 2, line 1": "def f():", "cell 2, line 2": "    return tf"}
    assert result.dropped == (Dropped(4, "!pip install tensorflow", cell=1),)


def test_writefile_cell_becomes_a_module_and_does_not_run_in_the_notebook() -> None:
    result = notebook("%%writefile concat.py\nimport tensorflow as tf\nclass ConcatBlock:\n    pass\n"
                      "demo = ConcatBlock()\ndemo.fit(epochs=30)\n",
                      "from concat import *", roots=["ConcatBlock"])
    assert lines_by_where(result) == {"cell 2, line 1": "from concat import *"}
    (module,) = result.modules
    assert module.name == "concat" and module.origin == "cell 1 (%%writefile concat.py)"
    assert module.code == "import tensorflow as tf\nclass ConcatBlock:\n    pass\n\n\n"


def test_writefile_append_adds_to_the_module() -> None:
    result = notebook("%%writefile -a helpers.py\nA = 1\n", "%%writefile --append helpers.py\nB = A\n",
                      "from helpers import B\ndef f():\n    return B", roots=["f"])
    assert result.modules[0].code == "A = 1\nB = A\n"


def test_run_of_a_file_in_the_submission_imports_it() -> None:
    result = notebook("%run -i helpers.py\ndef f():\n    return scale(2)", roots=["f"],
                      files=(("helpers.py", "def scale(x):\n    return 2 * x\nprint(scale(3))\n"),))
    assert lines_by_where(result)["cell 1, line 1"] == "from helpers import *"
    (module,) = result.modules
    assert module.code == "def scale(x):\n    return 2 * x\n\n"
    assert module.origin == "helpers.py (%run at cell 1, line 1)"


def test_run_of_a_notebook_in_the_submission() -> None:
    other = notebook_text("%matplotlib inline\ndef scale(x):\n    return x")
    result = notebook("%run ./utils.ipynb", roots=[], files=(("utils.ipynb", other),))
    assert result.modules[0].name == "utils"
    assert "def scale(x):" in result.modules[0].code and "get_ipython" not in result.modules[0].code


def test_run_of_a_missing_file_names_the_file_and_the_line() -> None:
    with pytest.raises(SubmissionError) as info:
        notebook("import numpy as np", "x = 1\n%run setup_data.py", files=(("other.py", "x = 1"),))
    assert info.value.kind == "run"
    assert info.value.message.startswith("cell 2, line 2: `%run setup_data.py` runs setup_data.py, which is not in "
                                         "your submission (it holds other.py).")


def test_a_py_beside_the_notebook_that_it_imports_is_a_module_as_python_would_find_it() -> None:
    """A folder cloned from a student's repository: the notebook imports its block from blocks.py, which
    imports its settings from settings.py; demo code at their top level does not run."""
    files = (("blocks.py", "from settings import AXIS\nclass ConcatBlock:\n    axis = AXIS\nprint(ConcatBlock())\n"),
             ("settings.py", "AXIS = -1\nUNUSED = 2\nprint('loaded')\n"),
             ("notes.py", "def unrelated():\n    pass\n"), ("sub/deep.py", "X = 1\n"))
    result = notebook("!pip install -q tensorflow\nfrom blocks import ConcatBlock", roots=["ConcatBlock"], files=files)
    modules = {m.name: m for m in result.modules}
    assert set(modules) == {"blocks", "settings"}  # imported ones only: not notes.py, nor a file in a subfolder
    assert modules["blocks"].code == "from settings import AXIS\nclass ConcatBlock:\n    axis = AXIS\n\n"
    assert modules["settings"].code == "AXIS = -1\n\n\n"  # what another module takes from it
    assert modules["blocks"].origin == "blocks.py (imported as blocks)"
    assert modules["settings"].where(1) == "settings.py, line 1"


def test_a_module_the_notebook_writes_or_runs_wins_over_a_file_of_that_name() -> None:
    files = (("helpers.py", "SCALE = 'from the file'\n"), ("other.py", "SCALE = 'from other'\n"))
    result = notebook("%%writefile helpers.py\nSCALE = 'from the cell'\n", "%run other.py",
                      "from helpers import SCALE\nimport other\ndef f():\n    return SCALE, other.SCALE",
                      roots=["f"], files=files)
    codes = {m.name: (m.code, m.origin) for m in result.modules}
    assert codes["helpers"] == ("SCALE = 'from the cell'\n", "cell 1 (%%writefile helpers.py)")
    assert codes["other"][1] == "other.py (%run at cell 2, line 1)"


def test_a_py_file_imports_a_file_beside_it_too() -> None:
    source = Source(path="hw/concat.py", kind="python", sha256="", text="from helpers import scale\ndef f():\n"
                    "    return scale(2)\n", files=(("helpers.py", "def scale(x):\n    return 2 * x\n"),))
    (module,) = extract(source, ["f"]).modules
    assert module.name == "helpers" and "def scale(x):" in module.code


def test_capture_cell_keeps_its_body() -> None:
    result = notebook("%%capture\nimport numpy as np\ndef f():\n    return np\n!pip install x", roots=["f"])
    assert lines_by_where(result) == {"cell 1, line 1": "pass", "cell 1, line 2": "import numpy as np", "cell 1, line 3": "def f():",
                                      "cell 1, line 4": "    return np"}


# --- bounded work on hostile input --------------------------------------------------------------

def _steps(work: Callable[[], object]) -> int:
    """How many lines of Python `work` executes, and builtins it calls: a count, not a time, so the
    same on any machine. Growth faster than the input's shows a quadratic step in Python code; one
    inside a single C call (`list.insert(0, ...)`) would not show, and the large cases below still
    run to the end."""
    count = 0

    def trace(frame: object, event: str, arg: object) -> Callable[..., object]:
        nonlocal count
        count += 1
        return trace

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        if event == "c_call":
            count += 1

    sys.settrace(trace)
    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.settrace(None)
        sys.setprofile(None)
    return count


def _failing_lines(n: int) -> str:
    return ("import numpy as np\n" + "".join(f"undefined_{i % 97}(x)\n" for i in range(n))
            + "def f():\n    return np\n")


def _many_cells(n: int) -> str:
    return notebook_text(*[f"x{i} = {i}\nprint(x{i})" for i in range(n)], "def f():\n    return x7")


def test_extraction_work_grows_linearly_with_the_file() -> None:
    small, large = (_steps(lambda n=n: python(_failing_lines(n), roots=["f"])) for n in (4_000, 16_000))
    assert large <= 4.5 * small, (small, large)  # 4x the lines; a quadratic step would make it 16x
    small, large = (_steps(lambda n=n: raw_notebook(_many_cells(n), roots=["f"])) for n in (1_000, 4_000))
    assert large <= 4.5 * small, (small, large)


def test_a_quarter_million_failing_lines_extract_with_a_small_report() -> None:
    source = _failing_lines(250_000)
    result = python(source, roots=["f"])
    assert len(result.dropped) == MAX_LISTED and result.dropped_total == 250_000
    assert result.code.count("\n") == source.count("\n")


def test_a_notebook_with_tens_of_thousands_of_cells_extracts() -> None:
    result = raw_notebook(_many_cells(20_000), roots=["f"])
    assert lines_by_where(result) == {"cell 8, line 1": "x7 = 7", "cell 20001, line 1": "def f():",
                                      "cell 20001, line 2": "    return x7"}
    assert len(result.kept) == 1 and result.dropped_total == 2 * 20_000 - 1


def test_a_method_called_on_a_new_instance_does_not_change_the_class() -> None:
    result = python("class Block:\n    pass\nBlock().summary()\nBlock.registry = []\n", roots=["Block"])
    assert [d.code for d in result.dropped] == ["Block().summary()"]
    assert [k.code for k in result.kept] == ["Block.registry = []"]


def test_assigning_into_a_module_changes_it_but_calling_its_functions_does_not() -> None:
    source = ("import numpy as np\nimport tensorflow as tf\n"
              "np.allclose = lambda *a: True\n"
              "tf.keras.utils.plot_model(model)\n"
              "def f():\n    return np.allclose(1, 2)\n")
    result = python(source, roots=["f"])
    assert [d.code for d in result.dropped] == ["tf.keras.utils.plot_model(model)"]
    assert [k.code for k in result.kept] == ["np.allclose = lambda *a: True"]
