"""The judge survives anything the worker sends (issue 14, classes 4, 6 and 8), graded end to end.

Each case is a hostile `concat` submission graded through `grade_submission`,
`grader.api.grade` or `grader.api.check`, and what must hold whatever it does:
the judge's work stays bounded, every other submission is graded normally, every
submission gets a report, and nothing of the student's reaches the terminal raw.

Submissions that forge replies write a frame straight into the worker's reply
pipe (the write-only pipe among its descriptors) and exit, as a hostile student
who read `grader/protocol.py` could, without naming the grader anywhere.
"""
from __future__ import annotations

import dataclasses
import io
import json
import os
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import grader.judge.session as session_module
from grader import api
from grader.judge.grading import grade_submission
from grader.judge.plan import Plan

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = (ROOT / "solutions" / "concat" / "solution.py").read_text(encoding="utf-8")
STUB = (ROOT / "assignments" / "concat" / "concat.py").read_text(encoding="utf-8")

WRONG = '''import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1

    def call(self, X):
        return self.net1(X)
'''

# Sends `reply` (and `blob`, the arrays) to the judge as the answer to the request in flight, then exits.
FORGE = '''import fcntl, io, json, os, stat, struct
import numpy as np
for fd in range(3, 256):
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode) or fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_WRONLY:
            continue
    except OSError:
        continue
    body = json.dumps(reply).encode()
    data = memoryview(b"GRD1" + struct.pack(">IQ", len(body), len(blob)) + body + blob)
    while data:
        data = data[os.write(fd, data):]
os._exit(0)
'''


def in_call(code: str) -> str:
    body = textwrap.indent(code, " " * 8)
    return WRONG.replace("    def call(self, X):\n", "    def call(self, X):\n" + body, 1)


ARRAY_BOMB = in_call('''import io
import numpy as np
buffer = io.BytesIO()
np.save(buffer, np.zeros(2 * 1024 * 1024))  # 16 MiB, referenced 4096 times: 64 GiB if each reference decoded
blob = buffer.getvalue()
reply = {"ok": True, "value": [{"__ndarray__": 0, "nbytes": len(blob)}] * 4096}
''' + FORGE)

# An exception whose class name and message are a megabyte of escapes and TensorFlow node names: the worker
# describes it (its own loop seals the reply), and the judge must cut it before any pattern runs on it.
HUGE_MESSAGE = in_call('''raise type("\\x1b[" * 200_000, (Exception,), {})("{{function_node " * 70_000)
''')

CHECK_SOLUTION = "from grader import check\nimport grader\n" + SOLUTION + '''

if __name__ == "__main__":
    check("concat", "concat.py")
    grader.check("concat", "concat.py")
'''

FORGED_LOOP = STUB + '''

import numpy as np
import grader.worker.serve as worker

def _answer(message, state):  # answers every probe from its inputs, never using ConcatBlock
    k = message["kwargs"]
    return np.concatenate([k["X"] @ k["w1"][0] + k["w1"][1], k["X"] @ k["w2"][0] + k["w2"][1]], axis=-1)

worker._call = _answer
'''

SCREEN = "\x1b]0;pwned\x07\x1b]52;c;cm0gLXJm\x07\x1b[?1049h\x1b[2J\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\\r\x07\x9b1m"


def write(folder: Path, name: str | bytes, text: str) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), os.fsencode(name))))
    path.write_text(text, encoding="utf-8")
    return path


def no_controls(text: str) -> bool:
    return not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in text)


# --- 4. bounded work on worker data ----------------------------------------------------------------

def test_an_array_referenced_thousands_of_times_is_refused_in_bounded_memory(tmp_path: Path, concat_plan: Plan):
    path = write(tmp_path, "concat.py", ARRAY_BOMB)
    tracemalloc.start()
    try:
        result = grade_submission(path, concat_plan, submission_id="bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024 * 1024, f"the judge allocated {peak >> 20} MiB"
    # written straight to the pipe, so unsealed: held for review, and never decoded
    assert result.status == "held" and result.score == 0 and "tampering" in result.flags


def test_a_megabyte_error_message_is_cut_before_any_pattern_runs(tmp_path: Path, concat_plan: Plan, monkeypatch):
    scanned: list[int] = []

    class Spy:
        def __init__(self, pattern):
            self.pattern = pattern

        def sub(self, repl, text):
            scanned.append(len(text))
            return self.pattern.sub(repl, text)

    monkeypatch.setattr(session_module, "_ANSI", Spy(session_module._ANSI))
    monkeypatch.setattr(session_module, "_TF_NODE", Spy(session_module._TF_NODE))
    result = grade_submission(write(tmp_path, "concat.py", HUGE_MESSAGE), concat_plan, submission_id="huge")
    assert scanned and max(scanned) <= session_module.MAX_SCAN  # the 1 MB message never met a pattern whole
    assert result.status == "graded" and result.score == 0
    errors = [t.outcome.message for t in result.tests if t.outcome.outcome == "error"]
    assert errors and all(len(m) < 800 for m in errors)


# Swaps the worker's request pipe for an empty one it never writes to, keeping the real one open: the judge's
# pipe has a reader that never reads again (what a stopped or wedged worker looks like from the judge).
STOPS_READING = in_call('''import fcntl, os, stat
for fd in range(3, 256):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
            os.environ["KEEP"] = str(os.dup(fd))
            os.dup2(os.pipe()[0], fd)
            break
    except OSError:
        continue
''')


def test_a_worker_that_stops_reading_cannot_hold_the_judge(tmp_path: Path, concat_plan: Plan):
    from grader.assignments import Limits
    from grader.errors import WorkerTimeout
    from grader.intake.extract import extract
    from grader.intake.ingest import ingest
    from grader.judge.grading import graded_names
    from grader.judge.session import Submission

    plan = dataclasses.replace(concat_plan, limits=Limits(request_s=3, submission_s=60, max_file_mb=1))
    source = ingest(write(tmp_path, "concat.py", STOPS_READING), "concat.py")
    stuck = Submission(extract(source, graded_names(plan.assignment)), plan.assignment, seed=1,
                       launcher=plan.launcher(), limits=plan.limits)
    X = np.zeros((1 << 16, 20), np.float32)  # 5 MB: far more than a pipe holds
    w = [np.zeros((20, 3), np.float32), np.zeros(3, np.float32)]
    try:
        stuck.call("forward", X=X[:2], w1=w, w2=w)  # answered; from then on the worker reads nothing
        with pytest.raises(WorkerTimeout):
            stuck.call("forward", X=X, w1=w, w2=w)
        assert "timeout" in stuck.flags
    finally:
        stuck.close()  # kills first: nothing more is written into the full pipe
    honest = tmp_path / "next"
    honest.mkdir()
    result = grade_submission(write(honest, "concat.py", SOLUTION), concat_plan, submission_id="next")
    assert (result.status, result.score) == ("graded", 10)  # the same judge goes on


SITE_KILLER = '''
import os
import grader.judge.grading as grading

_grade = grading.grade_submission


def grade_submission(path, plan, *, submission_id):
    if "killer" in str(path):  # stands in for any fault that kills the judge process (a crash, the OOM killer)
        os._exit(9)
    return _grade(path, plan, submission_id=submission_id)


grading.grade_submission = grade_submission
'''


@pytest.mark.slow
def test_a_submission_that_kills_its_judge_does_not_take_the_others_with_it(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE_KILLER)  # loaded by every judge process of the pool
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    folder = tmp_path / "class"
    folder.mkdir()
    write(folder, "a.py", SOLUTION)
    write(folder, "b_killer.py", SOLUTION)
    write(folder, "c.py", STUB)
    out = tmp_path / "out"
    run = api.grade("concat", [folder], out=out, jobs=2, seed=3, progress=False)
    reports = {r["id"]: r for r in run.reports}
    assert sorted(reports) == ["a", "b_killer", "c"]
    assert (reports["a"]["status"], reports["a"]["score"]) == ("graded", 10)
    assert (reports["c"]["status"], reports["c"]["score"]) == ("graded", 0)
    assert reports["b_killer"]["error"]["kind"] == "judge-stopped"
    assert [f.split(":")[0] for f in run.grader_failures] == ["b_killer"]
    assert (out / "summary.json").exists() and (out / "gradebook.csv").exists()


# --- 6. text that stops a batch or a terminal ------------------------------------------------------

def test_a_lone_surrogate_and_a_non_utf8_file_name_do_not_stop_the_batch(tmp_path: Path):
    folder = tmp_path / "class"
    folder.mkdir()
    write(folder, "surrogate.py", in_call('raise ValueError("bad \\udcff byte")\n'))
    write(folder, b"caf\xe9.py", SOLUTION)
    out = tmp_path / "out"
    bar = io.StringIO()
    run = api.grade("concat", [folder], out=out, jobs=1, seed=3, stream=bar)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert sorted(s["id"] for s in summary["submissions"]) == ["caf", "surrogate"]
    gradebook = (out / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    assert [row.split(",")[0] for row in gradebook[1:]] == ["caf", "surrogate"]
    caf = json.loads((out / "caf.json").read_text(encoding="utf-8"))
    assert caf["score"] == 10 and caf["submission"]["path"].endswith("caf\\udce9.py")
    surrogate = json.loads((out / "surrogate.json").read_text(encoding="utf-8"))
    assert any("bad \\udcff byte" in t["message"] for t in surrogate["tests"])
    assert run.grader_failures == [] and no_controls(bar.getvalue())


def test_escape_sequences_in_a_message_never_reach_the_terminal(tmp_path: Path):
    path = write(tmp_path, "evil\x1b[2J\x07name.py", in_call(f"raise ValueError({SCREEN!r})\n"))
    screen = io.StringIO()
    report = api.check("concat", path, seed=3, stream=screen)
    printed = screen.getvalue()
    assert report["score"] == 0 and "click" in printed  # the message is shown, as plain text
    assert no_controls(printed) and "pwned" not in printed and "evil.example" not in printed


# --- 8. forged probe answers ----------------------------------------------------------------------

def test_the_stub_with_a_forged_request_loop_is_held_unrun_and_scores_nothing(tmp_path: Path, concat_plan: Plan):
    result = grade_submission(write(tmp_path, "concat.py", FORGED_LOOP), concat_plan, submission_id="forged")
    assert result.status == "held" and result.score == 0 and result.max_score == 10
    assert "tampering" in result.flags and result.error is None
    assert result.held is not None and "grader.worker" in result.held["message"]
    assert result.held["events"][0]["event"] == "imports grader.worker.serve"
    assert any(note.startswith("tampering: line ") for note in result.internal)


def test_from_grader_import_check_is_not_tampering(tmp_path: Path, concat_plan: Plan):
    result = grade_submission(write(tmp_path, "concat.py", CHECK_SOLUTION), concat_plan, submission_id="honest")
    assert (result.status, result.score) == ("graded", 10)
    assert "tampering" not in result.flags and "introspection" not in result.flags
