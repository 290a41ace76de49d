"""grader.judge.pool: a batch goes on whatever one submission (or its report) does."""
from __future__ import annotations

import grader.judge.pool as pool
from grader.assignments import load_assignment
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


def test_a_report_of_the_graders_own_failure_is_never_reused(tmp_path, monkeypatch):
    """A worker that could not start (kind "grader") is retried by the next run, not kept as the grade."""
    from grader.judge.score import GradingResult

    plan = make_plan(load_assignment("concat"), public_only=True, seed=1)
    path = tmp_path / "a.py"
    path.write_text("x = 1\n")
    kinds = iter(["grader", "import"])

    def graded(path_, plan_, *, submission_id):
        return GradingResult(assignment="concat", id=submission_id, status="error", error={"kind": next(kinds),
                             "message": "m"}, submission={"path": str(path_), "sha256": "abc", "kind": "python"})

    monkeypatch.setattr(pool, "grade_submission", graded)
    assert pool.grade_entry(plan, Entry("a", path), {"specs": "s", "seed": "1"})["hashes"] == {}
    kept = pool.grade_entry(plan, Entry("a", path), {"specs": "s", "seed": "1"})["hashes"]
    assert kept == {"specs": "s", "seed": "1", "submission": "abc"}  # the student's own error is kept
