"""grader.sandbox.warm: the judge's handle on its zygote (one per kind, replaced when it stops)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from grader.sandbox import warm
from grader.sandbox.confine import WorkerLimits
from grader.sandbox.warm import process_zygote
from grader.sandbox.workers import make_folder


def test_one_zygote_per_kind_and_a_stopped_one_refuses_to_fork_and_is_replaced(zygote, concat_plan, tmp_path):
    assert process_zygote(hide=concat_plan.hide, show=concat_plan.show) is zygote and zygote.alive
    hide = concat_plan.hide + (str(tmp_path / "another-kind"),)  # other folders hidden: another zygote
    other = process_zygote(hide=hide, show=concat_plan.show)
    assert other is not zygote
    assert other.ready, other.reason
    other.stop()
    assert not other.alive
    with pytest.raises(OSError):
        other.start(make_folder(), WorkerLimits())
    fresh = process_zygote(hide=hide, show=concat_plan.show)
    try:
        assert fresh is not other and fresh.alive
    finally:
        fresh.stop()
    assert zygote.alive  # stopping one kind leaves the others serving


def test_a_forked_worker_is_found_by_its_pid_in_the_zygotes_namespace(zygote):
    worker = zygote.start(make_folder(), WorkerLimits())
    try:
        assert worker.alive()
        assert zygote.pid is not None and worker.pid != zygote.pid
        status = Path(f"/proc/{worker.pid}/status").read_text()
        assert f"PPid:\t{zygote.pid}" in status  # the judge's pid for the zygote's child, not its namespace's
    finally:
        worker.close()


def test_child_lookup_by_namespace_pid():
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert warm._child_with_ns_pid(os.getpid(), child.pid) == child.pid  # same namespace: same pid
        assert warm._child_with_ns_pid(os.getpid(), 999_999_999) is None
        assert warm._child_with_ns_pid(999_999_999, 1) is None  # no such parent
    finally:
        child.kill()
        child.wait()
