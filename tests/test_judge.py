"""How spec failures become outcomes and messages; hidden specs never leak their source."""
from __future__ import annotations

import pytest

from grader.errors import WorkerCrashed, WorkerTimeout
from grader.judge import HIDDEN_FAILURE, classify
from grader.session import MissingName, StudentCodeError


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
