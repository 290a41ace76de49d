"""The tripwire on its own, in small processes without TensorFlow: what trips it, what does not, and what
student code cannot do about it. Every attack builds its names at run time: the interpreter raises the
events, so no spelling gets around them."""
from __future__ import annotations

import dis
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from grader.protocol import HEADER, SEAL_BYTES, TAMPER_STATUS
from grader.worker import tripwire

ROOT = Path(__file__).resolve().parents[2]

# Stands in for the worker: install, arm, then run "student" code the way _run_statements does (exec of code
# compiled from the submission's file, from a function whose code the tripwire is told about).
HARNESS = '''
import os, sys, threading, traceback
sys.path.insert(0, sys.argv[1])
from grader.worker import tripwire
from grader.worker.serve import _library_imports, _loader_exec
arm, trip = tripwire.install(int(sys.argv[2]))
student = os.path.join(os.getcwd(), "submission.py")

def run_statements(code, path):
    namespace = {"__name__": "submission", "__file__": path}
    exec(compile(code, path, "exec"), namespace)
    return namespace

arm(files=[student], run_statements=run_statements.__code__, consumers=tripwire.consumer_codes(),
    trusted=[threading.get_ident()], extract_gen=traceback.StackSummary._extract_from_extended_frame_gen.__func__.__code__,
    grader_files=[tripwire.__file__], loader_exec=_loader_exec(), genuine_import=_library_imports(os.getcwd()))
source = open(student).read()
namespace = run_statements(source, student)
if "PROBE_CALLS" in namespace:  # as a probe calls what the submission defines, with no student frame below
    namespace["PROBE_CALLS"]()
print("SURVIVED", flush=True)
'''


def run_student(tmp_path: Path, code: str) -> tuple[int, dict | None, str]:
    """Run `code` as the armed submission; return the exit status, the tripwire's report (if any) and stdout."""
    (tmp_path / "submission.py").write_text(textwrap.dedent(code), encoding="utf-8")
    read, write = os.pipe()
    try:
        done = subprocess.run([sys.executable, "-c", HARNESS, str(ROOT), str(write)], pass_fds=(write,), cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    finally:
        os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    report = None
    if data:
        _, json_len, blob_len = HEADER.unpack(data[:HEADER.size])
        assert blob_len == 0 and data[HEADER.size + json_len:] == b"\0" * SEAL_BYTES  # never sealed
        report = json.loads(data[HEADER.size:HEADER.size + json_len])["tampered"]
    return done.returncode, report, done.stdout + done.stderr


# Each reaches a frame, the gc's object lists, a tracer or raw memory, with its names built at run time.
TRIPS = {
    "traceback frame": ('try:\n    raise ValueError\nexcept ValueError as e:\n'
                        '    f = getattr(e.__traceback__, "tb" + "_frame").f_back\n', "tb_frame", 4),
    "generator frame": ('box = []\ndef g():\n    yield getattr(box[0], "gi" + "_frame")\n'
                        'box.append(g())\nnext(box[0])\n', "gi_frame", 3),
    "coroutine frame": ('async def c():\n    pass\nco = c()\nf = getattr(co, "cr" + "_frame")\nco.close()\n', "cr_frame", 4),
    "sys frame": ('import sys\nf = getattr(sys, "_get" + "frame")(0)\n', "sys._getframe", 2),
    "every thread's frames": ('import sys\nf = getattr(sys, "_current" + "_frames")()\n', "sys._current_frames", 2),
    "inspect, a stdlib proxy": ('import inspect\nf = inspect.currentframe().f_back\n', "sys._getframe", 2),
    "traceback walker": ('import traceback\nf = next(traceback.walk_stack(None))\n', "sys._getframe", 2),
    "gc objects": ('import gc\nobjs = getattr(gc, "get_" + "objects")()\n', "gc.get_objects", 2),
    "gc referrers": ('import gc\nx = []\nr = getattr(gc, "get_" + "referrers")(x)\n', "gc.get_referrers", 3),
    "tracer": ('import sys\ngetattr(sys, "set" + "trace")(lambda *a: None)\n', "sys.settrace", 2),
    "profiler through threading": ('import threading, sys\nthreading.setprofile(lambda *a: None)\n'
                                   't = threading.Thread(target=len, args=([],))\nt.start()\nt.join()\n'
                                   'sys.exit(3)\n', "sys.setprofile in a thread your code started", 0),
    "ctypes": ('import ctypes\nf = getattr(ctypes.pythonapi, "PyEval_" + "GetFrame")\n', "ctypes.dlsym", 2),
    "a code object built": ('def f():\n    pass\ng = f.__code__.replace(co_name="x")\n', "code.__new__", 3),
    "an audit hook of its own": ('import sys\nsys.addaudithook(lambda e, a: None)\n', "sys.addaudithook", 2),
    "process memory": ('f = open("/proc/" + "self/mem", "rb")\n', "open", 1),
}


@pytest.mark.parametrize("attack", sorted(TRIPS))
def test_student_code_that_reaches_for_frames_gc_tracers_or_memory_ends_the_worker(tmp_path: Path, attack: str):
    code, event, line = TRIPS[attack]
    status, report, output = run_student(tmp_path, code)
    assert status == TAMPER_STATUS, output
    assert report is not None and report["event"] == event
    if line:
        assert (report["file"], report["line"]) == ("submission.py", line)
    assert "SURVIVED" not in output


def test_catching_the_trip_is_not_possible(tmp_path: Path):
    code = ('import gc\nfor _ in range(3):\n    try:\n        getattr(gc, "get_objects")()\n'
            '    except BaseException:\n        pass\nprint("caught")\n')
    status, report, output = run_student(tmp_path, code)
    assert status == TAMPER_STATUS and "caught" not in output


def test_a_thread_pool_cannot_launder_the_call(tmp_path: Path):
    code = ('import concurrent.futures as cf\ntry:\n    raise ValueError\nexcept ValueError as e:\n    tb = e.__traceback__\n'
            'with cf.ThreadPoolExecutor(1) as pool:\n    f = pool.submit(getattr, tb, "tb" + "_frame").result()\n')
    status, report, _ = run_student(tmp_path, code)
    assert status == TAMPER_STATUS and report["event"] == "tb_frame in a thread your code started"


@pytest.mark.parametrize("filename", ["/usr/lib/python3.11/inspect.py", "/venv/site-packages/keras/src/ops/core.py",
                                      "<string>"])
def test_code_compiled_at_run_time_is_the_students_whatever_file_it_names(tmp_path: Path, filename: str):
    inner = 'import sys\ndef sneaky():\n    return sys._getframe(1)\n'
    code = (f'ns = {{}}\nexec(compile({inner!r}, {filename!r}, "exec"), ns)\n'
            'import threading\nt = threading.Thread(target=ns["sneaky"])\nt.start()\nt.join()\n')
    status, report, _ = run_student(tmp_path, code)
    # "sys._getframe", not "... in a thread your code started": the thread's only frame was known as the student's
    assert status == TAMPER_STATUS and report["event"] == "sys._getframe"
    assert report["file"] == filename.rpartition("/")[2]


def test_a_function_built_from_compiled_code_is_the_students(tmp_path: Path):
    code = ('import types, sys\nco = compile("def f():\\n    return sys._getframe()", "/lib/x.py", "exec").co_consts[0]\n'
            'f = types.FunctionType(co, {"sys": sys})\nimport threading\nt = threading.Thread(target=f)\nt.start()\nt.join()\n')
    status, report, _ = run_student(tmp_path, code)
    assert status == TAMPER_STATUS and report["event"] == "sys._getframe"


def test_code_put_into_a_function_of_the_students_is_the_students(tmp_path: Path):
    code = ('import sys\nco = compile("def g():\\n    return sys._getframe()", "/lib/keras/x.py", "exec").co_consts[0]\n'
            'def f():\n    pass\nf.__code__ = co\nf.__globals__["sys"] = sys\n'
            'import threading\nt = threading.Thread(target=f)\nt.start()\nt.join()\n')  # no frame of the student's below f
    status, report, _ = run_student(tmp_path, code)
    assert status == TAMPER_STATUS and report["event"] == "sys._getframe"


def test_a_bare_thread_running_a_c_function_cannot_hide_the_caller(tmp_path: Path):
    code = 'import _thread, gc, time\n_thread.start_new_thread(gc.get_objects, ())\ntime.sleep(5)\n'
    status, report, _ = run_student(tmp_path, code)
    assert status == TAMPER_STATUS and report["event"] == "gc.get_objects in a thread your code started"


@pytest.mark.parametrize("callable_, event", [("gc.get_objects", "gc.get_objects"),
                                              ("functools.partial(sys.settrace, None)", "sys.settrace")])
def test_a_c_function_the_grader_is_made_to_call_still_trips(tmp_path: Path, callable_: str, event: str):
    status, report, _ = run_student(tmp_path, f"import functools, gc, sys\nPROBE_CALLS = {callable_}\n")
    assert status == TAMPER_STATUS and report["event"] == event


def test_rewiring_a_grader_function_trips_whoever_does_it(tmp_path: Path):
    code = 'from grader.worker import tripwire\ntripwire.consumer_codes.__defaults__ = ((),)\n'
    status, report, _ = run_student(tmp_path, code)
    assert status == TAMPER_STATUS
    assert report["event"] == "replaces the __defaults__ of the grader's function consumer_codes"


# What honest code does every day: library code that uses frames for its own ends, giving back only text.
HONEST = '''
import collections, logging, traceback, typing, warnings, sys
Point = collections.namedtuple("Point", "x y")
logging.getLogger("x").warning("a warning")
warnings.warn("careful")
try:
    1 / 0
except ZeroDivisionError:
    traceback.print_exc()
    text = traceback.format_exc()
    summary = traceback.extract_tb(sys.exc_info()[2])
stack = traceback.extract_stack()
T = typing.NewType("T", int)
def frames_of_my_own():
    return sum(1 for _ in range(3))
f = frames_of_my_own()
'''


def test_library_code_using_frames_for_its_own_ends_does_not_trip(tmp_path: Path):
    status, report, output = run_student(tmp_path, HONEST)
    assert (status, report) == (0, None), output
    assert "SURVIVED" in output


def test_capturing_locals_through_traceback_is_a_leak_and_trips(tmp_path: Path):
    code = 'import traceback\ns = traceback.StackSummary.extract(traceback.walk_stack(None), capture_locals=True)\n'
    status, report, _ = run_student(tmp_path, code)
    assert status == TAMPER_STATUS and report["event"] == "sys._getframe"


def test_nothing_trips_before_the_tripwire_is_armed(tmp_path: Path):
    script = ("import sys, gc; sys.path.insert(0, sys.argv[1])\nfrom grader.worker import tripwire\n"
              "tripwire.install(int(sys.argv[2]))\ngc.get_objects(); sys._getframe(); print('fine')\n")
    read, write = os.pipe()
    done = subprocess.run([sys.executable, "-c", script, str(ROOT), str(write)], pass_fds=(write,),
                          capture_output=True, text=True, timeout=60)
    os.close(write)
    os.close(read)
    assert done.returncode == 0 and "fine" in done.stdout


def test_a_submission_that_closed_the_pipe_still_ends_with_the_status(tmp_path: Path):
    code = 'import os, sys, gc\nfor fd in range(3, 64):\n    try:\n        os.close(fd)\n    except OSError:\n        pass\ngc.get_objects()\n'
    status, report, _ = run_student(tmp_path, code)
    assert status == TAMPER_STATUS and report is None  # nothing said, but the status is the kernel's


def global_lookups(code: types.CodeType) -> list[str]:
    found = [f"{code.co_name}: {i.opname} {i.argval}" for i in dis.get_instructions(code)
             if i.opname in ("LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "IMPORT_NAME")]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found += global_lookups(const)
    return found


def test_the_hook_looks_nothing_up_in_a_modules_globals_or_builtins():
    hook, arm, trip = tripwire._make(99)
    for function in (hook, arm, trip):
        assert global_lookups(function.__code__) == []
    # its state lives in closure cells, reachable only through the hook, which only gc could find
    assert hook.__defaults__ is None and hook.__kwdefaults__ is None
