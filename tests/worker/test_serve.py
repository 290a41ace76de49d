"""The worker loads leniently, like a notebook, and describes errors in the student's terms."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import WorkerTampered
from grader.protocol import TAMPER_STATUS
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.workers import make_folder
from grader.worker.serve import MAX_PROBLEMS, _exec_submission, describe_exception

# a probes file workers can see (tests/ is not bound into their root)
PROBES = str(Path(__file__).resolve().parents[2] / "assignments" / "concat" / "probes.py")


def test_describe_exception_keeps_only_student_lines():
    namespace: dict = {}
    exec(compile("def f():\n    raise ValueError('bad')\n", "/x/submission.py", "exec"), namespace)
    try:
        namespace["f"]()
    except ValueError as exc:
        info = describe_exception(exc)
    assert info == {"type": "ValueError", "message": "bad", "lines": [2]}
    assert describe_exception(SystemExit(3))["message"] == "your code called exit(3)"


def test_failing_statements_are_recorded_and_skipped(zygote, tmp_path):
    worker = zygote.start(make_folder(), WorkerLimits())
    code = "import not_a_real_module\nx = 1\ny = 1 / 0\ndef f():\n    return x\n"
    reply = worker.request({"op": "load", "code": code, "probes": PROBES, "names": ["f", "y"], "seed": 0}, 60)
    worker.close()
    value = reply["value"]
    assert value["defined"] == ["f"] and value["missing"] == ["y"]
    assert [(p["line"], p["type"]) for p in value["problems"]] == [(1, "ModuleNotFoundError"),
                                                                    (3, "ZeroDivisionError")]


REBINDS = """
import grader.worker.serve as w
w._call = lambda message, state: "forged"
w.plain = lambda value: "forged"
"""


def test_rebinding_the_workers_functions_changes_nothing_and_ends_the_worker_as_tampered(zygote):
    folder = make_folder()
    worker = zygote.start(folder, WorkerLimits())
    try:
        with pytest.raises(WorkerTampered) as info:
            worker.request({"op": "load", "code": REBINDS, "probes": PROBES, "names": [], "seed": 0}, 60)
    finally:
        worker.close()
    assert info.value.events == [{"event": "changed grader.worker.serve._call", "file": "", "line": 0, "via": ""}]
    assert worker.exit_code() == TAMPER_STATUS


PROBED = """
import signal, threading
IN_MAIN_THREAD = threading.current_thread() is threading.main_thread()
try:
    signal.signal(signal.SIGALRM, lambda number, frame: None)
    HANDLER = "installed"
except ValueError as exc:
    HANDLER = str(exc)
"""


def test_student_code_runs_off_the_main_thread_where_no_signal_handler_can_be_installed(zygote):
    folder = make_folder()
    probes = folder / "probes.py"
    probes.write_text("import numpy as np\n\ndef where(sub):\n    return {'main': sub.IN_MAIN_THREAD, "
                      "'handler': sub.HANDLER, 'array': np.arange(3.0), 'tuple': (1, np.float32(2.5))}\n")
    worker = zygote.start(folder, WorkerLimits())
    try:
        load = worker.request({"op": "load", "code": PROBED, "probes": str(probes), "names": [], "seed": 0}, 60)
        assert load["ok"] and load["value"]["problems"] == []
        reply = worker.request({"op": "call", "probe": "where", "kwargs": {}, "seed": 1}, 60)
    finally:
        worker.close()
    value = reply["value"]
    assert value["main"] is False and value["handler"] == "signal only works in main thread of the main interpreter"
    assert value["array"].tolist() == [0.0, 1.0, 2.0] and value["tuple"] == [1, 2.5]


def test_own_modules_import_and_a_flood_of_failures_stays_small(zygote):
    worker = zygote.start(make_folder(), WorkerLimits())
    modules = {"helpers": "import math\nSCALE = 2\ndef double(x):\n    return SCALE * x\nundefined_here\n"}
    code = "from helpers import *\nimport helpers\n" + "missing_name\n" * 400 + "def f():\n    return double(3)\n"
    reply = worker.request({"op": "load", "code": code, "probes": PROBES, "names": ["f", "double"], "seed": 0,
                            "modules": modules}, 60)
    worker.close()
    value = reply["value"]
    assert value["defined"] == ["f", "double"]
    problems = value["problems"]
    assert problems[0] == {"line": 5, "type": "NameError", "message": "name 'undefined_here' is not defined",
                           "lines": [], "module": "helpers"}
    assert len(problems) == MAX_PROBLEMS
    assert problems[-1]["left_out"] == 400 + 1 - MAX_PROBLEMS
    assert all(p["type"] == "NameError" for p in problems)


def test_linecache_keeps_python_line_numbers_past_a_form_feed(tmp_path, monkeypatch):
    import sys

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "submission", None)  # restored after the test
    module, problems = _exec_submission("x = 1\n# slide\x0c\ny = 1 / 0\n")
    assert problems[0]["line"] == 3 and problems[0]["lines"] == [3]
    import linecache

    assert linecache.getline(str(tmp_path / "submission.py"), 3) == "y = 1 / 0\n"
