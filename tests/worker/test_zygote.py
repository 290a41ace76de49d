"""Warm workers: forked from a TensorFlow-warm parent, isolated from one another."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from grader.judge.grading import grade_submission
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.workers import make_folder
from grader.worker.zygote import thread_count

# a probes file workers can see (tests/ is not bound into their root)
PROBES = str(Path(__file__).resolve().parents[2] / "assignments" / "concat" / "probes.py")

POLLUTER = '''
import builtins, os, tensorflow as tf, numpy as np

builtins.POLLUTED = True
tf.concat = lambda values, axis=0: values[0]
np.concatenate = None
left = open(os.path.join(os.environ["HOME"], "left-behind.txt"), "w").write("x")

class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1, self.net2, self.axis = net1, net2, axis
    def call(self, X):
        return self.net1(X)
'''


def load(zygote, code, names=("ConcatBlock",)):
    worker = zygote.start(make_folder(), WorkerLimits())
    reply = worker.request({"op": "load", "code": code, "probes": PROBES, "names": list(names), "seed": 1}, 60)
    return worker, reply


def test_the_zygote_is_single_threaded_and_forks_fast(zygote):
    assert zygote.ready
    assert thread_count() >= 1
    started = time.monotonic()
    worker, reply = load(zygote, "import tensorflow as tf\nx = tf.constant(2.0) * 3\n", ["x"])
    assert reply["ok"] and reply["value"]["defined"] == ["x"]
    assert time.monotonic() - started < 5  # a cold start would pay TensorFlow's import (seconds)
    worker.close()
    time.sleep(0.2)
    assert not worker.alive()


def test_nothing_one_submission_does_is_visible_to_the_next(tmp_path, zygote, concat_plan, solution_code):
    bad = tmp_path / "polluter.py"
    bad.write_text(POLLUTER, encoding="utf-8")
    good = tmp_path / "concat.py"
    good.write_text(solution_code + "\nimport builtins\nSEEN = getattr(builtins, 'POLLUTED', False)\n",
                    encoding="utf-8")
    alone = grade_submission(good, concat_plan, submission_id="alone").score
    assert grade_submission(bad, concat_plan, submission_id="bad").score < 2
    after = grade_submission(good, concat_plan, submission_id="after")
    assert after.score == alone == 10
    worker, reply = load(zygote, "import builtins, tensorflow as tf\n"
                         "polluted = hasattr(builtins, 'POLLUTED')\nname = tf.concat.__name__\n")
    assert reply["ok"]
    worker.close()


def test_each_worker_gets_its_own_folder_and_home(zygote):
    code = "import os\ncwd = os.getcwd()\nhome = os.environ['HOME']\n"
    first, _ = load(zygote, code, ["cwd"])
    second, _ = load(zygote, code, ["cwd"])
    assert first.folder != second.folder
    first.close()
    second.close()


def test_the_zygote_reports_how_a_worker_ended_and_the_tamper_status_is_never_a_crash(zygote):
    from grader.errors import WorkerCrashed, WorkerTampered
    from grader.protocol import TAMPER_STATUS

    for status, raised in ((3, WorkerCrashed), (TAMPER_STATUS, WorkerTampered)):
        worker = zygote.start(make_folder(), WorkerLimits())
        try:
            with pytest.raises((WorkerCrashed, WorkerTampered)) as info:
                worker.request({"op": "load", "code": f"import os\nos._exit({status})\n", "probes": PROBES,
                                "names": [], "seed": 1}, 60)
        finally:
            worker.close()
        assert type(info.value) is raised
        assert worker.exit_code() == status


def test_children_are_reaped_and_their_statuses_kept_until_asked():
    import os

    from grader.worker.zygote import Children

    children = Children()
    pid = os.fork()
    if pid == 0:
        os._exit(86)
    children.forked(pid)
    assert children.status(pid, wait=5.0) == 86
    assert children.status(12345678, wait=0.0) is None  # not ours: unknown
