"""The worker loads leniently, like a notebook, and describes errors in the student's terms."""
from __future__ import annotations

from pathlib import Path

from grader.sandbox import WorkerLimits, make_folder
from grader.worker import describe_exception

# a probes file workers can see (tests/ is not bound into their root)
PROBES = str(Path(__file__).resolve().parent.parent / "assignments" / "concat" / "probes.py")


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
import grader.worker as w
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
