"""Held reports: what the worker said happened, placed in the student's cells and files, bounded and cleaned."""
from __future__ import annotations

import nbformat

from grader.intake.extract import extract
from grader.intake.ingest import Source
from grader.judge.held import MAX_EVENTS, held_event, held_section


def extracted():
    cells = [nbformat.v4.new_code_cell("import sys\nx = 1"),
             nbformat.v4.new_code_cell("%%writefile helpers.py\nimport sys\n\ndef double(v):\n    return 2 * v\n"),
             nbformat.v4.new_code_cell("from helpers import double\ny = double(x)")]
    text = nbformat.writes(nbformat.v4.new_notebook(cells=cells))
    return extract(Source(path="concat.ipynb", kind="notebook", text=text, sha256=""), {"y"})


def test_events_are_placed_at_the_students_cell_or_module_line():
    ext = extracted()
    assert held_event({"event": "gc.get_objects", "file": "submission.py", "line": 7}, ext) == \
        {"where": "cell 3, line 2", "event": "gc.get_objects"}
    assert held_event({"event": "sys._getframe", "file": "helpers.py", "line": 4, "via": "inspect.py:currentframe"},
                      ext) == {"where": "cell 2, line 5 (helpers.py)", "event": "sys._getframe",
                               "via": "inspect.py:currentframe"}
    assert held_event({"event": "tb_frame", "file": "<string>", "line": 2}, ext)["where"] == \
        "<string>, line 2 (code your submission built while it ran)"
    assert held_event({"event": "changed grader.protocol.encode", "file": "", "line": 0}, ext)["where"] == "not known"


def test_what_the_worker_sent_is_cleaned_and_bounded():
    ext = extracted()
    hostile = held_event({"event": "\x1b[2J" + "x" * 5000, "file": "\x00a.py", "line": True, "via": 7}, ext)
    assert hostile["where"] == "not known" and len(hostile["event"]) <= 200 and "\x1b" not in hostile["event"]
    assert "via" not in hostile
    assert held_event("not a dict", ext) == {"where": "not known", "event": "not known"}


def test_the_section_keeps_at_most_a_few_events_and_what_the_specs_saw_before():
    events = [{"where": "line 1", "event": "gc.get_objects"}] * (MAX_EVENTS + 5)
    section = held_section(events, "held", {"test_a": "passed"})
    assert section == {"reason": "tampering", "message": "held", "events": events[:MAX_EVENTS],
                       "outcomes_before_hold": {"test_a": "passed"}}
    assert "outcomes_before_hold" not in held_section(events, "held")
