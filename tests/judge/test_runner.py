"""How spec failures become outcomes and messages; hidden specs never leak their source."""
from __future__ import annotations

import pytest

from grader.errors import WorkerCrashed, WorkerTimeout
from grader.judge.runner import HIDDEN_FAILURE, classify
from grader.judge.session import MissingName, StudentCodeError


def _raised(fn):
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001
        return exc
    raise AssertionError("did not raise")


def test_outcomes_by_exception():
    assert classify(_raised(lambda: pytest.fail("shape (2, 3) expected", pytrace=False)), "hidden")[:2] == (
        "failed", "shape (2, 3) expected")
    assert classify(StudentCodeError("ValueError at line 3: x"), "visible")[:2] == (
        "error", "Your code raised an error: ValueError at line 3: x")
    assert classify(WorkerTimeout("no answer"), "visible")[0] == "timeout"
    assert classify(WorkerCrashed("gone"), "visible")[0] == "error"
    assert classify(MissingName("Your code does not define f."), "hidden")[1] == "Your code does not define f."


def test_plain_asserts_in_hidden_specs_do_not_leak_expected_values():
    exc = AssertionError("assert 42.0 == out  # expected secret")
    assert classify(exc, "hidden")[1] == HIDDEN_FAILURE
    assert classify(exc, "visible")[1] == "assert 42.0 == out  # expected secret"


def test_a_bug_in_a_spec_is_an_internal_error_for_the_instructor():
    outcome, message, internal = classify(KeyError("w1"), "hidden")
    assert outcome == "error" and "instructor" in message and "KeyError" in internal


def test_two_assignments_public_specs_never_share_a_module(tmp_path):
    """A long-lived judge checks mydense, then concat: concat's own public specs must run."""
    import dataclasses

    from grader.course.assignments import load_assignment
    from grader.judge.grading import grade_submission
    from grader.judge.pool import make_plan

    root = tmp_path
    results = {}
    for slug in ("mydense", "concat"):
        assignment = load_assignment(slug)
        plan = make_plan(assignment, public_only=True, seed=3)
        path = root / assignment.stub
        path.write_text((assignment.folder.parent.parent / "solutions" / slug / "solution.py").read_text())
        results[slug] = grade_submission(path, dataclasses.replace(plan), submission_id=slug)
    assert [t.outcome.name for t in results["concat"].tests] == ["test_output_shape",
                                                                   "test_output_concatenates_both_blocks"]
    assert results["concat"].score == results["concat"].max_score == 2.5


def test_a_memory_limit_kill_says_so():
    exc = WorkerCrashed("it used more than the 1200 MB of memory allowed", flag="memory-limit")
    outcome, message, _ = classify(exc, "hidden")
    assert outcome == "error" and "more than the 1200 MB of memory allowed" in message


def test_a_passing_spec_can_carry_a_note_and_nothing_else():
    import types

    from grader.judge.runner import _note

    report = types.SimpleNamespace(user_properties=[("note", "Keras 3 differs here."), ("other", 42)])
    assert _note(report) == "Keras 3 differs here."
    assert _note(types.SimpleNamespace(user_properties=[("other", "not for students")])) == ""
