"""grader.judge.pool: a batch goes on whatever one submission (or its report) does."""
from __future__ import annotations

import grader.judge.pool as pool
from grader.course.assignments import load_assignment
from grader.intake.batch import Entry
from grader.judge.pool import make_plan


def test_a_report_that_cannot_be_written_does_not_stop_the_batch(tmp_path, monkeypatch):
    plan = make_plan(load_assignment("concat"), public_only=True, seed=1)
    entries = [Entry("a", tmp_path / "a.py"), Entry("b", tmp_path / "b.py")]
    monkeypatch.setattr(pool, "grade_entry", lambda plan, entry, hashes: {"id": entry.id, "status": "graded"})
    written, failures = [], []

    def finish(report):
        if report["id"] == "a" and report["status"] == "graded":
            raise OSError("disk trouble")
        written.append((report["id"], report["status"]))

    pool.grade_all(plan, entries, {}, 1, finish, failures)
    assert written == [("a", "error"), ("b", "graded")]
    assert failures == ["a: its report could not be written (OSError)"]
