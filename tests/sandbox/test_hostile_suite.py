"""A table of hostile and broken `concat` submissions, each with the verdict it must get.

For every case, on top of its own expected score, status, flags and outcomes:
- the report exists and is plain JSON;
- nothing the worker started is still running after `grade_submission` returns;
- nothing outside the sandbox changed (the repo, site-packages' .pth files, HOME,
  /tmp, /var/tmp);
- nothing secret is in the report: no line of the hidden spec, no line of the
  reference solution the submission did not already contain, no environment
  secret of the grading process.

Hostile sources that are more than a few lines live in tests/data/hostile/ with a
header comment saying what they try and what must happen.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import site
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest

import grader.judge.session as session_module
from grader.assignments import Limits
from grader.course.mutants import mutant_source
from grader.judge.grading import grade_submission
from grader.judge.plan import Plan
from grader.sandbox.workers import make_folder

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data" / "hostile"
SOLUTIONS = ROOT / "solutions" / "concat"
SOLUTION = (SOLUTIONS / "solution.py").read_text(encoding="utf-8")
HIDDEN = (SOLUTIONS / "hidden" / "test_hidden.py").read_text(encoding="utf-8")
STUB = (ROOT / "assignments" / "concat" / "concat.py").read_text(encoding="utf-8")
PUBLIC_TEXT = "\n".join(p.read_text(encoding="utf-8") for p in [
    ROOT / "assignments" / "concat" / "tests" / "test_public.py", ROOT / "assignments" / "concat" / "probes.py",
    ROOT / "assignments" / "concat" / "README.md", ROOT / "grader" / "spec.py", ROOT / "assignments" / "concat" / "concat.py",
])
SECRET = "s3cr3t-" + uuid.uuid4().hex
MARK = "hostile-" + uuid.uuid4().hex[:10]  # in the name of every file a hostile case tries to leave behind
ALL_TESTS = {"test_output_shape", "test_output_concatenates_both_blocks", "test_different_widths_and_inputs",
             "test_axis_argument_is_used", "test_default_axis_is_last", "test_lazy_subnets_are_built_by_the_first_call",
             "test_subnet_variables_are_tracked", "test_gradients_reach_both_subnets", "test_nests_inside_sequential"}

# Keeps only net1: every spec fails, so any point it gets was forged.
WRONG = '''import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1

    def call(self, X):
        return self.net1(X)
'''


def NEEDS(names: str) -> str:  # noqa: N802 - reads as part of the case's source
    """A line that makes the graded class need `names`, so extraction runs the top-level attack that sets them."""
    return f"ConcatBlock.attack = ({names},)\n"


def in_call(code: str, base: str = WRONG) -> str:
    """`base` with `code` run at the start of call() (indented for it)."""
    body = "".join("        " + line + "\n" for line in code.splitlines())
    return base.replace("    def call(self, X):\n", "    def call(self, X):\n" + body, 1)


def in_init(code: str, base: str = WRONG) -> str:
    body = "".join("        " + line + "\n" for line in code.splitlines())
    return base.replace("        super().__init__()\n", "        super().__init__()\n" + body, 1)


def notebook(cells: list[str], version: int = 4) -> str:
    if version == 4:
        return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]))
    nb = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(
        cells=[nbformat.v3.new_code_cell(input=c) for c in cells])])
    return nbformat.writes(nb, version=3)


@dataclass
class Case:
    """One submission and the verdict it must get."""

    id: str
    source: str | bytes | Callable[[dict[str, str]], str | bytes]
    score: float = 0.0
    status: str = "graded"
    error_kind: str | None = None
    flags: set[str] = field(default_factory=set)  # must all be present
    no_flags: set[str] = field(default_factory=set)  # must all be absent
    outcomes: dict[str, str] | str | None = None  # test -> outcome, or one outcome for every test
    name: str = "concat.py"
    limits: Limits | None = None
    secrets: tuple[str, ...] = ()  # more texts that must not be in the report (filled per run)
    slow: bool = False
    says: str | None = None  # a phrase every lost test's message must contain

    def text(self, values: dict[str, str]) -> str | bytes:
        source = self.source(values) if callable(self.source) else self.source
        if isinstance(source, str):
            for key, value in values.items():
                source = source.replace(key, value)
        return source


def data(name: str) -> Callable[[dict[str, str]], str]:
    return lambda values: (DATA / name).read_text(encoding="utf-8")


SHORT = Limits(request_s=3, submission_s=10, max_file_mb=1)
TIGHT_MEMORY = Limits(request_s=20, submission_s=60, memory_mb=1200, max_file_mb=1)  # a worker charges ~30 MB

PATCHES = '''
import builtins, numpy, numpy.testing, pytest
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda a, b, **k: numpy.ones(numpy.shape(b), bool)
numpy.array_equal = lambda *a, **k: True
pytest.fail = lambda *a, **k: None
pytest.approx = lambda *a, **k: True
builtins.isinstance = lambda *a: True
'''

LIAR = '''
class Liar:
    shape = (4, 8)
    dtype = "float32"
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __len__(self): return 4
    def numpy(self): return self
    def __array__(self, *a, **k): return self
    def __reduce__(self): return (print, ("pickled",))
'''

FAKE_REPORT = '''
import atexit, json, os
def _fake():
    report = {"schema": "grader-report/1", "assignment": "concat", "status": "graded", "score": 10.0,
              "max_score": 10.0, "tests": []}
    for place in ("__OUT__", "..", ".", "/tmp", os.environ.get("HOME", "."), "/work/main"):
        for name in ("concat.json", "summary.json", "results.json", "__MARK__.json"):
            try:
                with open(os.path.join(place, name), "w") as handle:
                    json.dump(report, handle)
            except OSError:
                pass
    print(json.dumps(report), flush=True)
atexit.register(_fake)
_fake()
'''

NETWORK = '''
import socket
results = []
for target in (("127.0.0.1", __PORT__), ("localhost", __PORT__)):
    try:
        socket.create_connection(target, timeout=3).sendall(b"__MARK__")
        results.append("NETWORK-OK")
    except OSError as exc:
        results.append(type(exc).__name__)
for host in ("1.1.1.1", "8.8.8.8", "pypi.org"):
    try:
        socket.create_connection((host, 443), timeout=3)
        results.append("NETWORK-OK")
    except OSError as exc:
        results.append(type(exc).__name__)
print("NET", results, flush=True)
'''

ENV_DUMP = '''
import os
dump = dict(os.environ)
for pid in (os.getpid(), os.getppid(), 1):
    try:
        dump[str(pid)] = open("/proc/%d/environ" % pid, "rb").read().decode(errors="replace")
    except OSError:
        pass
print("ENV", dump, flush=True)
raise ValueError("ENV " + repr(dump))
'''

FLOOD = '''
import sys
chunk = "A" * (1 << 20)
written = 0
for _ in range(20_000):  # 20 GB at most
    try:
        sys.stdout.write(chunk)
        sys.stdout.flush()
        written += 1
    except OSError:
        break
'''

MEMORY_BOMB = '''
hog = []
for _ in range(24):  # at most 24 GB: a grader without a memory limit still survives the test
    hog.append(bytearray(1 << 30))
    for i in range(0, 1 << 30, 4096):
        hog[-1][i] = 1
'''

BIG_FILES = '''
import os
if not os.path.exists("many"):
    os.mkdir("many")
    for i in range(20_000):
        open(os.path.join("many", str(i)), "w").close()
    with open("huge.bin", "wb") as handle:
        chunk = b"x" * (1 << 20)
        try:
            for _ in range(10_000):  # 10 GB at most
                handle.write(chunk)
        except OSError as exc:
            print("stopped at", handle.tell(), exc, flush=True)
    print("CWD", os.getcwd(), flush=True)
'''

SOLUTION_AXIS_LINE = "        return tf.concat("

CASES: list[Case] = [
    # -- exits -----------------------------------------------------------------------------------
    Case("os_exit_at_import", WRONG + "\nimport os\nquit_now = getattr(os, '_ex' + 'it')(3)\n" + NEEDS("quit_now"),
         status="error", error_kind="crash", outcomes="error"),
    Case("sys_exit_at_import", WRONG + "\nimport sys\nquit_now = getattr(sys, 'ex' + 'it')(0)\n" + NEEDS("quit_now")),
    Case("os_exit_in_call", in_call("import os; os._exit(0)"), outcomes="error"),
    Case("sys_exit_in_call", in_call("import sys; sys.exit(0)"), outcomes="error"),
    Case("crash_only_with_axis_0", SOLUTION.replace(SOLUTION_AXIS_LINE, "        if self.axis == 0:\n"
         "            import os; os._exit(1)\n" + SOLUTION_AXIS_LINE), score=9,
         outcomes={"test_axis_argument_is_used": "error"}),
    # -- forged results ----------------------------------------------------------------------------
    Case("atexit_fake_reports", WRONG + FAKE_REPORT),
    Case("atexit_fake_reports_in_call", in_call(FAKE_REPORT.replace("atexit.register(_fake)\n", "")
                                                .replace("\n_fake()\n", "\n_fake(); import os; os._exit(0)\n"))),
    # patching builtins.isinstance at import breaks loading the rest of the file (the reply path calls no builtin
    # looked up at run time, so it still answers): an error report, still 0
    Case("patches_pytest_numpy_builtins", WRONG + PATCHES + NEEDS("builtins, numpy, pytest"), status="error", error_kind="import", outcomes="error"),
    Case("patches_in_call", in_call(PATCHES.strip())),
    Case("lying_eq", WRONG.replace("return self.net1(X)", "return Liar()") + LIAR),
    Case("solution_plus_fake_report", in_init(FAKE_REPORT, SOLUTION.replace(
        "        self.axis = axis\n", "        self.axis = axis\n")), score=10, outcomes="passed"),
    # -- reading the disk and the environment --------------------------------------------------------
    Case("disk_scan_for_specs", data("disk_scan.py")),
    Case("git_history", data("git_history.py")),
    # the tracking test reads the sub-nets whatever call raises: it fails (net2 is not kept), not errs
    Case("environment_dump", in_call(ENV_DUMP), outcomes={**{t: "error" for t in ALL_TESTS},
                                                         "test_subnet_variables_are_tracked": "failed"}),
    # -- time --------------------------------------------------------------------------------------
    Case("endless_loop_at_import", WRONG + "\nstuck = sum(iter(int, 1))\n" + NEEDS("stuck"), status="error", error_kind="timeout",
         flags={"timeout"}, outcomes="error", limits=SHORT),
    Case("endless_loop_in_call", in_call("while True:\n    pass"), flags={"timeout"}, outcomes="timeout",
         limits=SHORT),
    Case("sleeps_in_call", in_call("import time; time.sleep(3600)"), flags={"timeout"}, outcomes="timeout",
         limits=SHORT),
    Case("timeout_only_with_axis_0", SOLUTION.replace(SOLUTION_AXIS_LINE, "        if self.axis == 0:\n"
         "            import time; time.sleep(3600)\n" + SOLUTION_AXIS_LINE), score=9, flags={"timeout"},
         outcomes={"test_axis_argument_is_used": "timeout"}, limits=Limits(request_s=3, submission_s=60)),
    # -- resources ---------------------------------------------------------------------------------
    Case("memory_bomb", in_call(MEMORY_BOMB), flags={"memory-limit"}, outcomes="error", limits=TIGHT_MEMORY,
         slow=True, says="more than the 1200 MB of memory allowed"),
    Case("fork_bomb", data("fork_bomb.py"), slow=True),
    Case("detached_daemon", lambda v: (DATA / "daemon_escape.py").read_text(encoding="utf-8").replace(
        'for controller in ("pids", "memory", "cpu", "freezer", ""):', "for controller in ():")),
    Case("detached_daemon_escapes_cage", data("daemon_escape.py")),
    Case("solution_plus_daemon", lambda v: (DATA / "daemon_escape.py").read_text(encoding="utf-8").replace(
        "        return self.net1(X)", "        return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)")
        .replace("        self.net1 = net1\n", "        self.net1, self.net2, self.axis = net1, net2, axis\n"),
        score=10, outcomes="passed"),
    Case("gigabytes_of_stdout", in_call(FLOOD), flags={"output-truncated"}),
    Case("huge_and_many_files", in_init(BIG_FILES), slow=True),
    # -- network -----------------------------------------------------------------------------------
    Case("network_connections", in_init(NETWORK)),
    # -- writes outside and symlinks ---------------------------------------------------------------
    Case("writes_outside_the_sandbox", data("writes_outside.py")),
    Case("symlinked_output_files", data("symlink_output.py")),
    Case("swaps_its_folder_for_a_symlink", data("folder_swap.py")),
    Case("reads_and_overwrites_another_sandbox", data("cross_sandbox.py")),
    # -- honest breakage -------------------------------------------------------------------------------
    Case("syntax_error", "import tensorflow as tf\nclass ConcatBlock(tf.keras.Model:\n    pass\n",
         status="error", error_kind="syntax", outcomes="error"),
    Case("empty_file", "", status="error", error_kind="empty", outcomes="error"),
    Case("wrong_name", SOLUTION.replace("class ConcatBlock", "class Concat_Block"), status="error",
         error_kind="missing-name", outcomes="error"),
    Case("no_axis_parameter", SOLUTION.replace("def __init__(self, net1, net2, axis=-1)",
                                               "def __init__(self, net1, net2)").replace("self.axis = axis",
                                                                                         "self.axis = -1"),
         score=9, outcomes={"test_axis_argument_is_used": "error"}),
    # one mistake, one clause: the sub-nets are still tracked (read whatever call does); every other test errs
    Case("call_takes_two_inputs", SOLUTION.replace("def call(self, X):", "def call(self, X, Y):"), score=1,
         outcomes={t: "error" for t in ALL_TESTS - {"test_subnet_variables_are_tracked"}}),
    Case("random_bytes", bytes(range(256)) * 64, status="error", error_kind="binary", outcomes="error"),
    Case("latin1_without_coding_line", ("# Réseau concaténé — écrit par Zoë\n" + SOLUTION.replace(
        '"""Runs two', '"""Bloc concaténé. Runs two')).encode("latin-1", errors="replace"), score=10,
         outcomes="passed"),
    Case("oversized_file", "x = 1\n" * 400_000, status="error", error_kind="too-large", outcomes="error"),
    Case("invalid_notebook", '{"cells": [', name="concat.ipynb", status="error", error_kind="notebook",
         outcomes="error"),
    Case("notebook_v3", notebook([SOLUTION], version=3), name="concat.ipynb", score=10, outcomes="passed"),
    Case("notebook_pip_and_downloads", notebook([
        "!pip install -q tensorflow==2.0.0\n%pip install keras-nightly", SOLUTION,
        "import urllib.request\nurllib.request.urlretrieve('https://example.com/data.npz', 'data.npz')\n"
        "(X, y), _ = tf.keras.datasets.mnist.load_data()\n!wget -q https://example.com/weights.h5"]),
        name="concat.ipynb", score=10, outcomes="passed"),
]
CASE_IDS = [c.id for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS)


# -- the checks every case gets --------------------------------------------------------------------
def _norm(text: str) -> str:
    return " ".join(text.split())


def _secret_lines(text: str, known: str, min_len: int) -> list[str]:
    """Lines of `text` that are not in `known` (what the submission could see anyway)."""
    known = _norm(known)
    lines = {_norm(line) for line in text.splitlines()}
    return sorted(line for line in lines if len(line) >= min_len and line not in known)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (_strings(k) + _strings(v))]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def leaked(report: dict[str, Any], submission_text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Every secret found in the report."""
    text = _norm("\n".join(_strings(report)))
    known = PUBLIC_TEXT + "\n" + STUB + "\n" + submission_text
    secrets = _secret_lines(HIDDEN, known, 20) + _secret_lines(SOLUTION, known, 12)
    secrets += [SECRET, *extra]
    return [s for s in secrets if _norm(s) in text]


def _stat(path: Path) -> tuple[float, int] | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    return (st.st_mtime, st.st_size)


def snapshot() -> dict[str, tuple[float, int] | None]:
    """mtime and size of what a worker must not touch."""
    state: dict[str, tuple[float, int] | None] = {}
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in (".git", "__pycache__", ".venv", ".pytest_cache", ".mypy_cache")]
        for name in files:
            state[os.path.join(top, name)] = _stat(Path(top, name))
    for folder in site.getsitepackages() + [site.getusersitepackages()]:
        for pth in Path(folder).glob("*.pth"):
            state[str(pth)] = _stat(pth)
    for folder in (Path.home(), Path("/tmp"), Path("/var/tmp")):
        try:
            for entry in folder.iterdir():
                state[str(entry)] = _stat(entry)
        except OSError:
            pass
    return state


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Paths that appeared or changed and look like a worker's doing (a concurrent edit of the repo is not)."""
    out = []
    for path in sorted(set(before) | set(after)):
        if before.get(path) == after.get(path):
            continue
        new_pth_or_home = path not in before and (path.endswith(".pth") or os.path.dirname(path) == str(Path.home()))
        if MARK in path or new_pth_or_home or _has_mark(path):
            out.append(path)
    return out


def _has_mark(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return MARK.encode() in handle.read(1 << 20)
    except OSError:
        return False


def _marked(token: str) -> list[int]:
    """Live processes (global pids) whose command line carries a daemon's marker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"DAEMON-MARK-{token}".encode() in (entry / "cmdline").read_bytes():
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state not in ("Z", "X"):
                    found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


def _running(entry: Path) -> bool:
    try:
        return (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _alive(token: str) -> bool:
    """Workers print markers, not pids: their pids belong to a PID namespace of their own."""
    return bool(_marked(token))


def _kill_marked(token: str) -> None:
    for pid in _marked(token):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def leftovers(folders: list[Path], pids: list[str]) -> list[str]:
    """Live processes with a cwd or command line in one of `folders`, or whose pid a worker printed."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            cwd = ""
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            cmdline = ""
        for folder in folders:
            if (cwd.startswith(str(folder)) or str(folder) in cmdline) and _running(entry):
                found.append(f"{entry.name}: cwd={cwd} cmd={cmdline[:200]}")
    found += [f"{token}: marked by the worker" for token in pids if _alive(token)]
    return found


@dataclass
class Run:
    result: Any
    report: dict[str, Any]
    folders: list[Path]
    before: dict[str, Any]
    after: dict[str, Any]
    pids: list[int]
    text: str


@pytest.fixture
def graded(tmp_path, monkeypatch, concat_plan):
    """grade(case, values) -> Run, with the sandbox folders recorded and the world snapshotted around it."""
    monkeypatch.setenv("GRADER_TEST_SECRET", SECRET)
    folders: list[Path] = []
    original = session_module.make_folder

    def recording_make_folder(*args: int) -> Path:
        folder = original(*args)
        folders.append(folder)
        return folder

    monkeypatch.setattr(session_module, "make_folder", recording_make_folder)
    printed: list[int] = []

    def grade(case: Case, values: dict[str, str]) -> Run:
        text = case.text(values)
        path = tmp_path / "submission" / case.name
        path.parent.mkdir(exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        plan: Plan = concat_plan if case.limits is None else dataclasses.replace(concat_plan, limits=case.limits)
        before = snapshot()
        result = grade_submission(path, plan, submission_id=case.id)
        after = snapshot()
        report = result.to_dict()
        json.loads(json.dumps(report))  # plain JSON
        printed.extend(p for p in re.findall(r"PID-TO-CHECK (\w+)", report.get("output", {}).get("stdout", "")))
        source = text.decode("latin-1") if isinstance(text, bytes) else text
        return Run(result, report, list(folders), before, after, list(printed), source)

    yield grade
    for token in printed:  # a test that failed must not leave its daemon behind
        _kill_marked(token)
    for folder in folders:  # what folder_swap.py left: its renamed folder, and a symlink in its place
        for leftover in [folder, *folder.parent.glob(folder.name + "-moved*")]:
            subprocess.run(["rm", "-rf", "--one-file-system", str(leftover)], check=False)
    for place in (ROOT, ROOT / "assignments" / "concat", Path.home(), Path("/tmp"), Path("/var/tmp"),
                  *map(Path, site.getsitepackages())):
        for path in place.glob(f"*{MARK}*"):
            path.unlink(missing_ok=True)


def _params() -> list[Any]:
    return [pytest.param(case, id=case.id, marks=[pytest.mark.slow] if case.slow else []) for case in CASES]


@pytest.mark.parametrize("case", _params())
def test_hostile_or_broken_submission_gets_its_honest_verdict(case: Case, graded, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"outside-secret-{MARK}\n")
    (outside / "stdout.txt").write_text(f"outside-stdout-{MARK}\n")
    victim = make_folder()  # another submission's sandbox, graded at the same time
    (victim / "home" / "model.txt").write_text(f"victim-secret-{MARK}\n")
    values = {"__PORT__": str(listener.getsockname()[1]), "__OUTSIDE_DIR__": str(outside),
              "__OUTSIDE__": str(outside / "secret.txt"), "__MARK__": MARK, "__COURSE__": str(ROOT),
              "__HOME__": str(Path.home()), "__OUT__": str(tmp_path / "out")}
    try:
        run = graded(case, values)
        victim_text = (victim / "home" / "model.txt").read_text()
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(victim)], check=False)
    report, result = run.report, run.result

    # the verdict
    got = {t["name"]: t["outcome"] for t in report["tests"]}
    details = [(t["name"], t["outcome"], t["message"][:200]) for t in report["tests"]]
    assert report["status"] == case.status, (report["error"], details)
    if case.error_kind:
        assert report["error"]["kind"] == case.error_kind, report["error"]
    assert result.score == case.score, details
    assert result.max_score == 10
    assert set(got) == ALL_TESTS
    if isinstance(case.outcomes, str):
        assert set(got.values()) == {case.outcomes}, details
    elif case.outcomes:
        assert {n: o for n, o in got.items() if o != "passed"} == case.outcomes, details
    assert case.flags <= set(report["flags"]), report["flags"]
    assert not (case.no_flags & set(report["flags"])), report["flags"]
    if case.says:
        assert all(case.says in t["message"] for t in report["tests"] if t["outcome"] != "passed"), details
    if case.score == 10 or (case.score == 0 and case.id not in ("os_exit_at_import",) and not case.flags):
        assert "timeout" not in report["flags"], report["flags"]

    # the invariants
    assert not leftovers(run.folders, run.pids), leftovers(run.folders, run.pids)
    assert not changed(run.before, run.after), changed(run.before, run.after)
    assert not leaked(report, run.text, (f"outside-secret-{MARK}", f"outside-stdout-{MARK}",
                                         f"victim-secret-{MARK}", "root:x:0:0")), leaked(report, run.text)
    assert victim_text == f"victim-secret-{MARK}\n", "a worker rewrote another submission's sandbox"
    out = report.get("output") or {}
    assert len(out.get("stdout", "")) <= 64 * 1024 and len(out.get("stderr", "")) <= 64 * 1024
    if report["status"] == "graded":
        assert report["sandbox"]["network"] in ("namespace", "python-guard")
    try:
        conn, _ = listener.accept()
        conn.close()
        pytest.fail("a worker connected to the test process over loopback")
    except BlockingIOError:
        pass
    finally:
        listener.close()
    if "NET" in out.get("stdout", ""):
        assert "NETWORK-OK" not in out["stdout"]
    if case.id == "gigabytes_of_stdout":
        assert out["truncated"] is True and out["stdout"].startswith("A" * 1000)
    if case.id == "huge_and_many_files":
        assert not any(f.exists() for f in run.folders), "the sandbox folder was not removed"


# -- a hostile worker must not take its judge down --------------------------------------------------
KILL_JUDGE = in_init('''
import os, signal
def _ppid(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("PPid:"):
            return int(line.split()[1])
zygote = os.getppid()
judge = _ppid(zygote)
for target in (judge, zygote):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError as exc:
        print("kill refused", target, exc, flush=True)
''')


@pytest.mark.slow
def test_a_worker_cannot_kill_its_judge(tmp_path):
    """The worker runs as the judge's uid: it must still not be able to signal the judge or the zygote."""
    path = tmp_path / "concat.py"
    path.write_text(KILL_JUDGE, encoding="utf-8")
    script = (
        "import dataclasses, json, sys\n"
        "from pathlib import Path\n"
        "from grader.judge.pool import make_plan\n"
        "from grader.assignments import Limits, load_assignment\n"
        "from grader.judge.grading import grade_submission\n"
        "plan = make_plan(load_assignment('concat'), public_only=False, seed=7)\n"
        "plan = dataclasses.replace(plan, limits=Limits(request_s=20, submission_s=60))\n"
        f"result = grade_submission(Path({str(path)!r}), plan, submission_id='killer')\n"
        "print('REPORT', json.dumps(result.to_dict()))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, f"the judge died with {done.returncode}: {done.stderr[-1500:]}"
    report = json.loads(done.stdout.split("REPORT ", 1)[1])
    assert report["score"] == 0


# -- a batch: hostile submissions do not change the honest ones' scores ------------------------------------
BATCH_HOSTILE = {
    "h_os_exit": in_call("import os; os._exit(0)"),
    "h_exit_import": WRONG + "\nimport os\nquit_now = getattr(os, '_ex' + 'it')(3)\n",
    "h_patches": WRONG + PATCHES,
    "h_liar": WRONG.replace("return self.net1(X)", "return Liar()") + LIAR,
    "h_fake_report": WRONG + FAKE_REPORT,
    "h_flood": in_call(FLOOD),
    "h_fork_bomb": (DATA / "fork_bomb.py").read_text(encoding="utf-8"),
    "h_daemon": (DATA / "daemon_escape.py").read_text(encoding="utf-8"),
    "h_kills_zygote": in_init("import os, signal; os.kill(os.getppid(), signal.SIGKILL)"),
    "h_symlinks": (DATA / "symlink_output.py").read_text(encoding="utf-8"),
}
BATCH_HONEST = {
    "s_solution": SOLUTION,
    "s_no_axis": CASES[CASE_IDS.index("no_axis_parameter")].source,
    "s_crash_axis0": CASES[CASE_IDS.index("crash_only_with_axis_0")].source,
    **{f"s_mutant_{p.stem}": mutant_source(p, SOLUTIONS / "solution.py") for p in sorted((SOLUTIONS / "mutants").glob("*"))[:7]},
}


@pytest.mark.slow
def test_a_batch_of_hostile_and_honest_submissions(tmp_path, monkeypatch):
    from grader.api import grade
    from grader.assignments import load_assignment
    from grader.judge.pool import make_plan

    monkeypatch.setenv("GRADER_TEST_SECRET", SECRET)
    seed = 9090
    folder = tmp_path / "subs"
    folder.mkdir()
    outside = tmp_path / "outside-secret.txt"
    outside.write_text(f"outside-secret-{MARK}\n")
    for name, text in {**BATCH_HOSTILE, **BATCH_HONEST}.items():
        text = text.replace("__OUTSIDE__", str(outside)).replace("__MARK__", MARK).replace("__OUT__", str(tmp_path / "out"))
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    assert len(BATCH_HOSTILE) == 10 and len(BATCH_HONEST) == 10

    plan = make_plan(load_assignment("concat"), public_only=False, seed=seed)
    alone = {}
    for name in BATCH_HONEST:
        result = grade_submission(folder / f"{name}.py", plan, submission_id=name)
        alone[name] = (result.score, {t.outcome.name: t.outcome.outcome for t in result.tests})

    before = snapshot()
    started = time.monotonic()
    run = grade("concat", [folder], out=tmp_path / "out", jobs=2, seed=seed, progress=False)
    elapsed = time.monotonic() - started
    assert not run.grader_failures, run.grader_failures
    reports = {r["id"]: r for r in run.reports}
    assert set(reports) == set(BATCH_HOSTILE) | set(BATCH_HONEST)
    for name, (score, outcomes) in alone.items():
        got = (reports[name]["score"], {t["name"]: t["outcome"] for t in reports[name]["tests"]})
        assert got == (score, outcomes), name
    for name in BATCH_HOSTILE:
        assert reports[name]["score"] == 0, (name, reports[name]["tests"])
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    for entry in summary["submissions"]:
        assert entry["score"] == reports[entry["id"]]["score"]
        on_disk = json.loads((tmp_path / "out" / entry["report"]).read_text())
        assert on_disk["score"] == entry["score"], "a report in the output folder was replaced"
        assert not leaked(on_disk, (folder / f"{entry['id']}.py").read_text(), (f"outside-secret-{MARK}",))
    assert not changed(before, snapshot())
    printed = [p for r in reports.values()
               for p in re.findall(r"PID-TO-CHECK (\w+)", (r.get("output") or {}).get("stdout", ""))]
    alive = [p for p in printed if _alive(p)]
    for token in alive:
        _kill_marked(token)
    assert not alive, "a daemon survived the batch"
    assert elapsed < 240
