"""Forging attacks against the worker (issue 24, classes 1-3): each is a wrong `concat` (its ConcatBlock uses
only net1: every spec fails) that tries to reach the probes' table and swap in a correct block it hides, which
would score 10/10 with no flag if it got there. Every name it uses is built at run time. Each must end `held`
(or score only what it honestly solved), never forged marks; and honest work that merely names "grader" keeps
full marks with no flag. `test_the_forgeries_are_held_for_a_grader_run_as_an_ordinary_user` runs them again as
a freshly created ordinary user.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.judge.grading import grade_submission

from test_hostile import WRONG  # (pytest imports test files by their name) the wrong block: only net1

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = (ROOT / "solutions" / "concat" / "solution.py").read_text(encoding="utf-8")

# Finds the probes' state as any frame-holding code would: up the stack from a frame (or through the gc), to the
# dict whose "probes" the worker calls; then has every probe run on a right ConcatBlock it hides. Undetected, this
# scores 10/10 (`test_undetected_the_forgeries_would_score_full_marks` shows it).
FORGE = '''
import os, sys, types
import tensorflow as tf


class _Right(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1, self.net2, self.axis = net1, net2, axis

    def call(self, X):
        return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)


_RIGHT = types.SimpleNamespace(ConcatBlock=_Right)


def _swap(state):
    """Every probe now runs on the hidden right block, whatever the judge asks."""
    if isinstance(state, dict) and isinstance(state.get("probes"), tuple):
        state["probes"] = tuple((name, (lambda probe: lambda sub, **kw: probe(_RIGHT, **kw))(probe))
                                for name, probe in state["probes"])
        return True
    return False


def _climb(frame):
    while frame is not None:
        if any(_swap(value) for value in list(getattr(frame, "f_" + "locals").values())):
            return True
        frame = getattr(frame, "f_" + "back")
    return False


def _attack():
__BODY__
''' + WRONG + '''

ConcatBlock.forged = _attack()  # the class needs it, so this runs when the submission is loaded
'''

ATTACKS = {
    "traceback_frame": ('try:\n    raise ValueError\nexcept ValueError as e:\n'
                        '    _climb(getattr(e.__traceback__, "tb" + "_frame"))', "tb_frame"),
    "generator_frame": ('box = []\ndef walk():\n    yield _climb(getattr(box[0], "gi" + "_frame"))\n'
                        'box.append(walk())\nnext(box[0])', "gi_frame"),
    "sys_frame_from_a_callback": ('import functools\nfunctools.reduce(lambda a, b: _climb(getattr(sys, "_get" + "frame")(0)),'
                                  ' [1, 2])', "sys._getframe"),
    "inspect_stdlib_proxy": ('import inspect\n_climb(getattr(inspect, "current" + "frame")())', "sys._getframe"),
    "tensorflow_library_proxy": ('from tensorflow.python.util import tf_inspect\n'
                                 '_climb(getattr(tf_inspect, "current" + "frame")())', "sys._getframe"),
    "gc_object_walk": ('import gc\nfor obj in getattr(gc, "get_" + "objects")():\n    _swap(obj)', "gc.get_objects"),
    "gc_referrers": ('import gc\nfor obj in getattr(gc, "get_" + "referrers")(sys.modules["submission"]):\n'
                     '    _swap(obj)', "gc.get_referrers"),
    "tracer": ('getattr(sys, "set" + "trace")(lambda frame, event, arg: _climb(frame) and None)\n'
               'getattr(sys, "set" + "trace")(None)', "sys.settrace"),
    "thread_pool_laundering": ('import concurrent.futures as cf\ntry:\n    raise ValueError\nexcept ValueError as e:\n'
                               '    tb = e.__traceback__\nwith cf.ThreadPoolExecutor(1) as pool:\n'
                               '    _climb(pool.submit(getattr, tb, "tb" + "_frame").result())',
                               "tb_frame in a thread your code started"),
    "code_disguised_as_a_library": ('ns = {"sys": sys, "climb": _climb}\nsrc = "def lib():\\n    return climb(sys._getframe())"\n'
                                    'exec(compile(src, tf.__file__, "exec"), ns)\ntf.nest.map_structure(lambda x: ns["lib"](), [1])',
                                    "sys._getframe"),
    "ctypes_frame": ('import ctypes\napi = getattr(ctypes, "python" + "api")\n'
                     'get = getattr(api, "PyEval_" + "GetFrame")', "ctypes.dlsym"),
    "wire_protocol_swap": ('m = getattr(sys, "mod" + "ules")\nfor name in ("grader.worker." + "wire", "grader." + "protocol"):\n'
                           '    for key in list(vars(m[name])):\n        if key.startswith("encode"):\n'
                           '            vars(m[name])[key] = lambda message, *a: b""', "changed grader.protocol.encode"),
    "probe_namespace_swap": ('vars(tf)["con" + "stant"] = lambda value, *a, **k: tf.convert_to_tensor(value) * 0',
                             "changed tensorflow.constant"),
    "reply_written_to_the_pipe": ('import stat\nfor fd in range(3, 64):\n    try:\n'
                                  '        if stat.S_ISFIFO(os.fstat(fd).st_mode):\n'
                                  '            os.write(fd, b"GRD1" + (2).to_bytes(4, "big") + bytes(8) + b"{}" + bytes(32))\n'
                                  '    except OSError:\n        pass', "a reply the grader's request loop did not write"),
}


def forge(body: str) -> str:
    return FORGE.replace("__BODY__", "\n".join("    " + line for line in body.splitlines()))


def grade(tmp_path: Path, plan, text: str, name: str = "concat.py", files: dict[str, str] | None = None):
    folder = tmp_path / name.split(".")[0]
    folder.mkdir()
    for other, content in (files or {}).items():
        (folder / other).write_text(content, encoding="utf-8")
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return grade_submission(folder if files else path, plan, submission_id=folder.name)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_forgery_that_reaches_for_the_probes_is_held_never_scored(tmp_path: Path, concat_plan, attack: str):
    body, event = ATTACKS[attack]
    result = grade(tmp_path, concat_plan, forge(body))
    assert (result.status, result.score, result.max_score) == ("held", 0, 10), result.to_dict()["tests"]
    assert "tampering" in result.flags and result.held["reason"] == "tampering"
    assert result.held["events"][0]["event"] == event
    if not event.startswith(("changed", "a reply", "tb_frame in a thread")):  # those happen where no line says
        assert result.held["events"][0]["where"].startswith("line ")
    assert "held for your instructor to review" in result.tests[0].outcome.message


# The probes' thread of a worker, run without its tripwire and integrity checks (only the loop arms them).
UNGUARDED = """
import _thread, json, sys, threading
import numpy as np
sys.path.insert(0, sys.argv[1])
from grader.worker.serve import run_jobs
channel, go, done = [None, None], _thread.allocate_lock(), _thread.allocate_lock()
go.acquire(); done.acquire()
threading.Thread(target=run_jobs, args=(channel, go, done, lambda **marks: None), daemon=True).start()
def job(kind, message):
    channel[0] = (kind, message); go.release(); done.acquire(); return channel[1]
probes = sys.argv[2]
message = {"code": open("concat.py").read(), "probes": probes, "probes_source": open(probes).read(), "seed": 1}
assert job("prepare", message)[0] == "ready"
assert job("load", message)[0] == "ok"
rng = np.random.default_rng(0)
X = rng.random((3, 4), dtype=np.float32)
w1 = [rng.random((4, 2), dtype=np.float32), np.zeros(2, np.float32)]
w2 = [rng.random((4, 5), dtype=np.float32), np.zeros(5, np.float32)]
kind, value = job("call", {"probe": "forward", "kwargs": {"X": X, "w1": w1, "w2": w2}, "seed": 2})
right = np.concatenate([X @ w1[0], X @ w2[0]], axis=-1)
print(json.dumps(kind == "ok" and value.shape == right.shape and bool(np.allclose(value, right, atol=1e-5))))
"""


@pytest.mark.slow
@pytest.mark.parametrize("attack", ["traceback_frame", "gc_object_walk"])
def test_undetected_the_forgeries_would_score_full_marks(tmp_path: Path, attack: str):
    """What the held tests above guard against is real: without the worker's checks, the wrong block answers right."""
    (tmp_path / "concat.py").write_text(forge(ATTACKS[attack][0]), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", UNGUARDED, str(ROOT), str(ROOT / "assignments" / "concat" / "probes.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.stdout.strip().splitlines()[-1:] == ["true"], done.stderr[-3000:]
    honest = tmp_path / "honest"
    honest.mkdir()
    (honest / "concat.py").write_text(forge("pass"), encoding="utf-8")  # the same wrong block, no forgery
    done = subprocess.run([sys.executable, "-c", UNGUARDED, str(ROOT), str(ROOT / "assignments" / "concat" / "probes.py")],
                          cwd=honest, capture_output=True, text=True, timeout=300)
    assert done.stdout.strip().splitlines()[-1:] == ["false"], done.stderr[-3000:]


def test_writing_closure_cells_and_frame_locals_it_can_reach_forges_nothing(tmp_path: Path, concat_plan):
    body = ('import gc as _g\nm = getattr(sys, "mod" + "ules")\nfor name in [n for n in m if n.startswith("grader")]:\n'
            '    for value in list(vars(m[name]).values()):\n'
            '        for cell in getattr(value, "__closure__", None) or ():\n'
            '            try:\n                cell.cell_contents = _Right\n            except Exception:\n                pass')
    result = grade(tmp_path, concat_plan, forge(body))
    assert result.score == 0  # the loop keeps nothing that matters in a reachable closure


def test_a_signal_handler_cannot_be_installed_to_catch_a_frame(tmp_path: Path, concat_plan):
    body = 'import signal\ntry:\n    signal.signal(signal.SIGALRM, lambda n, frame: _climb(frame))\n    signal.setitimer(signal.ITIMER_REAL, 0.01)\nexcept ValueError:\n    print("NO HANDLER")'
    result = grade(tmp_path, concat_plan, forge(body))
    assert (result.status, result.score) == ("graded", 0)
    assert "NO HANDLER" in result.output["stdout"]


def test_exiting_with_the_tamper_status_holds_only_that_submission(tmp_path: Path, concat_plan):
    killer = SOLUTION.replace("return tf.concat(", "import os; os._exit(86)\n        return tf.concat(")
    held = grade(tmp_path, concat_plan, killer, name="killer.py")
    assert (held.status, held.score) == ("held", 0)
    assert held.held["events"][0]["event"].startswith("unknown: the worker ended with the tamper checks' status")
    honest = grade(tmp_path, concat_plan, SOLUTION, name="honest.py")
    assert (honest.status, honest.score, honest.flags) == ("graded", 10, ())


RUNTIME_HIJACK = ('import sys\n\ndef double(x):\n    m = getattr(sys, "mod" + "ules")\n'
                  '    vars(m["grader.worker." + "wire"])["encode" + "_reply"] = lambda message: b""\n    return 2 * x\n')


def notebook(*cells: str) -> str:
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]))


def hijacked_solution(import_line: str) -> str:
    return SOLUTION.replace("class ConcatBlock", f"{import_line}\n\n\nclass ConcatBlock").replace(
        "self.net1 = net1", "self.net1 = net1\n        double(1)")


def test_a_module_written_by_a_writefile_cell_is_held_at_its_line(tmp_path: Path, concat_plan):
    text = notebook("%%writefile helpers.py\n" + RUNTIME_HIJACK, hijacked_solution("from helpers import double"))
    result = grade(tmp_path, concat_plan, text, name="concat.ipynb")
    assert (result.status, result.score) == ("held", 0)
    assert result.held["events"] == [{"where": "not known", "event": "changed grader.worker.wire.encode_reply"}]
    blatant = notebook("%%writefile helpers.py\nimport grader.worker.serve as w\n\ndef double(x):\n    return w\n",
                       hijacked_solution("from helpers import double"))
    result = grade(tmp_path, concat_plan, blatant, name="blatant.ipynb")
    assert result.status == "held" and result.held["events"] == [
        {"where": "cell 1, line 2 (helpers.py)", "event": "imports grader.worker.serve"}]


def test_a_file_run_with_percent_run_is_held_at_its_line(tmp_path: Path, concat_plan):
    frames = 'import sys\n\ndef double(x):\n    getattr(sys, "_get" + "frame")(1)\n    return 2 * x\n'
    text = notebook("%run blocks.py", hijacked_solution(""))
    result = grade(tmp_path, concat_plan, text, name="concat.ipynb", files={"blocks.py": frames})
    assert (result.status, result.score) == ("held", 0)
    assert result.held["events"] == [{"where": "blocks.py, line 4", "event": "sys._getframe"}]


# Honest work that names "grader" (issue 24, class 3) and uses frames the way libraries do: full marks, no flag.
HONEST = '''# -*- coding: utf-8 -*-
"""Copy of concat-for-grader.ipynb

Automatically generated by Colab.

Original file is located at
    https://colab.research.google.com/drive/1AbCdEf
Help: grader.help@uni.edu, https://keras-grader.readthedocs.io/en/latest/
"""
import logging
import traceback

HELP = "grader.help@uni.edu"
DOCS = "https://keras-grader.readthedocs.io"
TITLE = "Copy of concat-for-grader.ipynb"
''' + SOLUTION.replace("return tf.concat(", "logging.getLogger('me').info('%s', traceback.format_stack(limit=2))\n"
                       "        return tf.concat(")


def test_honest_work_naming_the_grader_keeps_full_marks_and_no_flag(tmp_path: Path, concat_plan):
    result = grade(tmp_path, concat_plan, HONEST, name="concat_for_grader.py")
    assert (result.status, result.score, result.flags, result.held) == ("graded", 10, (), None)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser"),
                    reason="creating an ordinary user needs root, useradd and runuser")
def test_the_forgeries_are_held_for_a_grader_run_as_an_ordinary_user():
    from test_hostile_host import run_as_ordinary_user  # (pytest imports test files by their name)

    done = run_as_ordinary_user(target=__file__, keyword="forgery_that_reaches or module_written or percent_run")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert done.stdout.splitlines()[-1].startswith(f"{len(ATTACKS) + 2} passed"), done.stdout[-2000:]


def test_reports_of_held_work_round_trip_as_json(tmp_path: Path, concat_plan):
    result = grade(tmp_path, concat_plan, forge(ATTACKS["gc_object_walk"][0]))
    report = json.loads(json.dumps(result.to_dict()))
    assert report["status"] == "held" and report["held"]["events"][0]["event"] == "gc.get_objects"
    assert all(t["score"] == 0 and t["outcome"] == "error" for t in report["tests"])
