"""`grader check` and `check()` where the Linux cage is missing: macOS and Windows, emulated on Linux.

Each kind runs a throwaway venv whose site-packages has a `.pth` that adds this project's
environment and runs `tests/data/platforms/nonlinux_shim.py` at start-up, so every process
the grader starts from `sys.executable` (the judge, `python -I` workers) lacks what that
platform lacks: `fcntl`, `resource`, `os.fork`, `os.geteuid`, `prctl`/`capset`, `/proc`.
Nothing here runs on a real Mac or Windows machine; `examples/ci/github-student.yml` does.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # several cold TensorFlow imports

ROOT = Path(__file__).resolve().parent.parent
SHIM = ROOT / "tests" / "data" / "platforms"
SOLUTION = ROOT / "solutions" / "concat" / "solution.py"
STUB = ROOT / "assignments" / "concat" / "concat.py"
PUBLIC_POINTS = 2.5


@pytest.fixture(scope="module")
def shimmed(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The Python of a venv that lacks what `kind` lacks (made once per kind)."""
    made: dict[str, Path] = {}

    def python(kind: str) -> Path:
        if kind not in made:
            folder = tmp_path_factory.mktemp(f"venv-{kind}")
            venv.create(folder, with_pip=False, symlinks=os.name != "nt")
            exe = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
            purelib = subprocess.run([str(exe), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                     capture_output=True, text=True, check=True).stdout.strip()
            ours = sysconfig.get_paths()["purelib"]
            (Path(purelib) / "zz-grader-shim.pth").write_text(
                f"import site; site.addsitedir({ours!r})\n{SHIM}\n"
                f"import nonlinux_shim; nonlinux_shim.install({kind!r})\n", encoding="utf-8")
            made[kind] = exe
        return made[kind]

    return python


def run(python: Path, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})})


CHECK_SCRIPT = """
import json, sys
from grader import check
result = check("concat", sys.argv[1])
print("REPORT " + json.dumps(result))
"""


def check_function(python: Path, path: Path, cwd: Path) -> tuple[dict[str, Any], str]:
    """`check()` called from a script in the shimmed Python (it runs `python -m grader check` itself)."""
    done = run(python, "-c", CHECK_SCRIPT, str(path), cwd=cwd)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("REPORT ")), None)
    assert line is not None, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(line[len("REPORT "):]), done.stdout


def test_every_grader_module_imports_and_the_shim_reaches_isolated_children(shimmed, tmp_path):
    code = ("import importlib, os, pkgutil, sys, grader\n"
            "names = [m.name for m in pkgutil.walk_packages(grader.__path__, 'grader.') if m.name != 'grader.__main__']\n"
            "[importlib.import_module(n) for n in names]\n"
            "import ctypes\n"
            "try:\n    ctypes.CDLL(None).prctl\n    prctl = True\nexcept AttributeError:\n    prctl = False\n"
            "print(len(names), hasattr(os, 'fork'), hasattr(os, 'geteuid'), sys.modules.get('fcntl') is not None, prctl,"
            " os.path.exists('/proc/self'))\n")
    done = run(shimmed("windows"), "-I", "-c", code, cwd=tmp_path)  # -I: as the grader starts its workers
    assert done.returncode == 0, done.stderr[-3000:]
    count, *lacks = done.stdout.split()
    assert int(count) > 40 and lacks == ["False"] * 5


def test_windows_grader_check_gives_the_solution_full_marks_and_says_there_is_no_sandbox(shimmed, tmp_path):
    done = run(shimmed("windows"), "-m", "grader", "check", "concat", str(SOLUTION), "--json", "r.json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["score"] == PUBLIC_POINTS and report["status"] == "graded"
    sandbox = report["sandbox"]
    assert sandbox["mode"] == "none" and sandbox["limits"] == "the wall clock" and sandbox["network"] == "python-guard"
    assert all(part in sandbox["reason"] for part in ("os.fork", "os.geteuid", "fcntl", "resource", "/proc", "prctl()"))
    assert "  Isolation: none: your own machine (your code ran as you, with no sandbox)\n" in done.stdout
    assert "Total: 2.5 / 2.5 on the public tests; hidden tests worth 7.5 more points" in done.stdout


def test_windows_check_function_gives_the_stub_zero_with_the_students_message(shimmed, tmp_path):
    report, printed = check_function(shimmed("windows"), STUB, tmp_path)
    assert report["score"] == 0 and report["sandbox"]["mode"] == "none"
    assert all("NotImplementedError at line 17: ConcatBlock.call is not written yet" in t["message"]
               for t in report["tests"])
    assert "Isolation: none: your own machine" in printed


def test_macos_check_function_gives_the_solution_full_marks_not_an_exit_blamed_on_the_student(shimmed, tmp_path):
    """The issue's Mac: fork, fcntl and resource are there, prctl/capset and /proc are not."""
    report, printed = check_function(shimmed("macos"), SOLUTION, tmp_path)
    assert report["score"] == PUBLIC_POINTS, printed
    assert report["sandbox"]["reason"] == "this machine lacks /proc, prctl(), capset()"
    assert report["sandbox"]["limits"] == "rlimits and the wall clock"  # macOS has rlimits


def test_windows_grade_refuses_without_a_sandbox_unless_told_and_then_grades(shimmed, tmp_path):
    python = shimmed("windows")
    refused = run(python, "-m", "grader", "grade", "concat", str(SOLUTION), "--out", "out", cwd=tmp_path)
    assert refused.returncode == 2 and not (tmp_path / "out").exists()
    assert "--allow-unsandboxed" in refused.stderr and "this machine lacks os.fork" in refused.stderr
    done = run(python, "-m", "grader", "grade", "concat", str(SOLUTION), "--out", "out", "--format", "json",
               "--jobs", "1", "--allow-unsandboxed", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "out" / "solution.json").read_text(encoding="utf-8"))
    assert report["score"] == report["max_score"] == 10 and report["sandbox"]["mode"] == "none"


BOOT_SCRIPT = """
import json, sys
from pathlib import Path
from grader.assignments import load_assignment
from grader.judge.grading import grade_submission
from grader.judge.pool import make_plan
plan = make_plan(load_assignment("concat"), public_only=True, seed=1, warm=False)
print("REPORT " + json.dumps(grade_submission(Path(sys.argv[1]), plan, submission_id="s").to_dict()))
"""


def test_a_worker_whose_privilege_drop_fails_is_the_graders_error_with_its_cause(shimmed, tmp_path):
    """The Linux cage where a cold worker lacks prctl: it dies before any student code runs."""
    done = run(shimmed("broken-worker"), "-c", BOOT_SCRIPT, str(SOLUTION), cwd=tmp_path,
               env={"GRADER_NO_NAMESPACES": "1"})  # a namespaced worker would not see the shim's folder
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("REPORT ")), None)
    assert line is not None, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(line[len("REPORT "):])
    assert report["status"] == "error" and report["error"]["kind"] == "grader"
    message = report["error"]["message"]
    # the cause is the first call the worker's cage makes that this libc lacks (unshare for the IPC namespace,
    # then prctl): which one comes first is the cage's business, that it is named is this test's
    cause = re.match(r"The grader could not run on this machine: its worker process ended before it could run any "
                     r"code \(AttributeError: dlsym\(RTLD_DEFAULT, (\w+)\): symbol not found\)", message)
    assert cause is not None and cause[1] in ("prctl", "capset", "unshare", "mount", "umount2"), message
    assert "not a problem with your code" in message and "exit()" not in message
    assert all(t["message"] == message for t in report["tests"])


def test_the_test_process_itself_is_not_shimmed():
    assert hasattr(os, "fork") and sys.platform.startswith("linux")
