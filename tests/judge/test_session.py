"""The `submission` fixture's object: calls, restarts, errors in the student's terms."""
from __future__ import annotations

import pytest

from grader.assignments import load_assignment
from grader.errors import SubmissionError
from grader.intake.extract import extract
from grader.intake.ingest import Source
from grader.judge.session import StudentCodeError, Submission, clean_message

CODE = '''
import os
import tensorflow as tf

def save(name, text):
    with open(name, "w") as handle:
        handle.write(text)

def read(name):
    return open(name).read()

def boom():
    raise ValueError("bad shape")
'''


@pytest.fixture
def submission(zygote):
    extracted = extract(Source(path="s.py", kind="python", text=CODE, sha256=""))
    sub = Submission(extracted, load_assignment("concat"), seed=3,
                     launcher=zygote.start)
    yield sub
    sub.close()


def test_restart_gives_a_fresh_process_with_the_same_files(submission):
    tmp_path = submission._folder  # a worker sees only its own folder (and the read-only course)
    probes = tmp_path / "probes.py"
    probes.write_text("import os\ndef pid(sub):\n    return os.getpid()\n"
                      "def save(sub, n, t):\n    sub.save(n, t)\ndef read(sub, n):\n    return sub.read(n)\n"
                      "def boom(sub):\n    sub.boom()\n")
    object.__setattr__(submission.assignment, "folder", tmp_path)  # probes.py lives in the folder
    first = submission.call("pid")
    submission.call("save", n="params.txt", t="hello")
    submission.restart()
    assert submission.call("pid") != first
    assert submission.call("read", n="params.txt") == "hello"
    with pytest.raises(StudentCodeError, match=r"ValueError at line 13: bad shape"):
        submission.call("boom")


def test_missing_names_suggest_the_close_one(submission):
    submission.load_info = None
    assert "found 'boom'" not in submission.missing_message("ConcatBlock")
    assert "found 'save'" in submission.missing_message("Save")


def test_clean_message_strips_keras_noise():
    raw = ("Exception encountered when calling ConcatBlock.call().\n\n\x1b[1m{{function_node __wrapped__X}} "
           "Incompatible shapes: [4,3] vs. [4,5]\x1b[0m\n\nArguments received by ConcatBlock.call(): X=...")
    assert clean_message(raw) == "Incompatible shapes: [4,3] vs. [4,5]"


def test_clean_message_runs_its_patterns_on_bounded_text(monkeypatch):
    import grader.judge.session as session_module

    seen = []

    class Spy:
        def __init__(self, pattern):
            self.pattern = pattern

        def sub(self, repl, text):
            seen.append(len(text))
            return self.pattern.sub(repl, text)

    monkeypatch.setattr(session_module, "_ANSI", Spy(session_module._ANSI))
    monkeypatch.setattr(session_module, "_TF_NODE", Spy(session_module._TF_NODE))
    message = clean_message("{{function_node " * 70_000)
    assert seen and max(seen) <= session_module.MAX_SCAN
    assert len(message) <= 400


def test_load_reply_is_kept_to_bounded_plain_data():
    from grader.judge.session import _load_info

    info = _load_info({"defined": ["A"] * 10_000, "names": ["x" * 10_000, 5, None],
                       "problems": [{"line": "7", "type": "T" * 10_000, "message": "m" * 100_000}] * 1000 + ["p"]})
    assert len(info.defined) == 500 and info.names == ["x" * 200]
    assert len(info.problems) == 100
    assert info.problems[0]["line"] == 1 and len(info.problems[0]["type"]) == 80
    assert len(info.problems[0]["message"]) <= 4000


def test_answers_past_the_submission_budget_are_an_error(monkeypatch, submission):
    import numpy as np

    import grader.judge.session as session_module
    from grader.judge.session import AnswerTooLarge

    monkeypatch.setattr(session_module, "MAX_ANSWER_BYTES", 1000)
    submission._account({"ok": True, "value": np.zeros(100)})  # 800 bytes: within the budget
    with pytest.raises(AnswerTooLarge):
        submission._account({"ok": True, "value": [np.zeros(10), np.zeros(20)]})
    assert "protocol" in submission.flags


def test_name_error_on_a_name_only_skipped_code_sets_names_that_line():
    text = "import os\nDATA = os.listdir('/data')\ndef f():\n    return len(globals()['DATA'])\n"
    extracted = extract(Source(path="s.ipynb", kind="python", text=text, sha256=""), ["f"])
    sub = Submission(extracted, load_assignment("concat"), seed=1)
    try:
        message = sub.describe_error({"type": "NameError", "message": "name 'DATA' is not defined", "lines": [4]})
        other = sub.describe_error({"type": "NameError", "message": "name 'os' is not defined", "lines": [4]})
        misspelt = sub.missing_message("DAT")
    finally:
        sub.close()
    assert message == ("NameError at line 4: name 'DATA' is not defined (DATA is set only at line 2, "
                       "`DATA = os.listdir('/data')`, which the grader did not run: only imports, definitions and "
                       "what the graded names need run when your file is loaded; move what your code needs into a "
                       "function or set it before it is used.)")
    assert other == "NameError at line 4: name 'os' is not defined"
    assert misspelt == "Your code does not define DAT (found 'DATA'; names are case-sensitive and must match exactly)."


class _SlowWorker:
    """Stands in for a worker whose load runs past its time."""

    flags: set[str] = set()

    def request(self, message, timeout):
        from grader.errors import WorkerTimeout

        raise WorkerTimeout("load")

    def alive(self):
        return True

    def close(self):
        pass


def test_a_load_that_runs_out_of_time_names_the_statements_that_ran_and_why():
    text = ("import tensorflow as tf\nclass ConcatBlock:\n    def call(self):\n        return MODEL\n"
            "MODEL = tf.keras.Sequential()\nMODEL.fit(X, epochs=30)\nprint(1)\n")
    extracted = extract(Source(path="s.py", kind="python", text=text, sha256=""), ["ConcatBlock"])
    sub = Submission(extracted, load_assignment("concat"), seed=1, launcher=lambda folder, limits: _SlowWorker())
    try:
        with pytest.raises(SubmissionError) as info:
            sub.load()
    finally:
        sub.close()
    assert info.value.kind == "timeout"
    assert info.value.message == (
        "Loading your code did not finish in time; look for an endless loop or long work at top level: besides "
        "definitions, these statements ran: line 5 `MODEL = tf.keras.Sequential()` (needed by ConcatBlock); "
        "line 6 `MODEL.fit(X, epochs=30)` (needed by ConcatBlock).")
