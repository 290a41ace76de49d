"""The worker loads leniently, like a notebook, and describes errors in the student's terms."""
from __future__ import annotations

from pathlib import Path

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


REBINDS = '''
import gc, types
import grader.worker.serve as w
w._call = lambda message, state: "forged"
w._load = lambda message, state: "forged"
for obj in gc.get_objects():  # the probes' globals, whether or not their module object is still alive
    if type(obj) is dict and obj.get("__name__") == "grader_probes":
        obj["answer"] = lambda sub: "forged"
        obj["marked"] = True
'''


def test_request_loop_and_probes_are_bound_before_student_code(zygote):
    folder = make_folder()
    probes = folder / "probes.py"
    probes.write_text("def answer(sub):\n    return 'honest'\n\ndef patched(sub):\n"
                      "    return globals().get('marked', False)\n")
    worker = zygote.start(folder, WorkerLimits())
    try:
        load = worker.request({"op": "load", "code": REBINDS, "probes": str(probes), "names": [], "seed": 0}, 60)
        assert load["ok"] and load["value"]["problems"] == []
        assert worker.request({"op": "call", "probe": "patched", "kwargs": {}, "seed": 1}, 60)["value"] is True  # the submission did reach the probes module...
        reply = worker.request({"op": "call", "probe": "answer", "kwargs": {}, "seed": 1}, 60)
        assert reply == {"ok": True, "value": "honest"}  # ...but the judge's requests still run the real probe
    finally:
        worker.close()


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
