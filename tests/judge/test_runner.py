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

    from grader.assignments import load_assignment
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


SPEC_WITH_A_CLAUSE = '''
import numpy as np
from grader.spec import assert_close, clause, points

SECRET = np.array([[0.5, -1.25], [3.75, 2.0]])


@points(2)
@clause("call returns relu(X @ W + b)")
def test_values():
    assert_close(SECRET * 2, SECRET, "MyDense's output")


@clause("call returns relu(X @ W + b)")
def test_shape():
    pass


def test_other():
    pass
'''


def _run(tmp_path, visibility):
    from grader.judge.runner import SPEC_INI, ResultCollector

    spec = tmp_path / "test_spec_file.py"
    spec.write_text(SPEC_WITH_A_CLAUSE)
    collector = ResultCollector({str(spec): visibility})
    pytest.main([str(spec), "-c", str(SPEC_INI), "--rootdir", str(tmp_path), "-p", "no:cacheprovider",
                 "-p", "no:terminal", "--import-mode=importlib"], plugins=[collector])
    return {o.name: o for o in collector.outcomes()}


def test_clauses_are_recorded_and_a_test_without_one_is_its_own(tmp_path):
    outcomes = _run(tmp_path, "visible")
    assert [o.clause for o in outcomes.values()] == ["call returns relu(X @ W + b)"] * 2 + ["test_other"]
    assert outcomes["test_values"].points == 2.0 and outcomes["test_values"].outcome == "failed"


def test_a_visible_value_failure_shows_one_entry_and_a_hidden_one_never_does(tmp_path):
    visible = _run(tmp_path, "visible")["test_values"].message
    assert visible == ("MyDense's output has the right shape but 4 of 4 values differ from the correct result: "
                       "every value is off by the same factor, 2 times what it should be (rescaled?). "
                       "For example, entry [1, 0] should be 3.75 but is 7.5.")
    hidden = _run(tmp_path, "hidden")["test_values"].message
    assert hidden == visible.split(" For example")[0]
    for secret in ("3.75", "7.5", "0.5", "1.25"):
        assert secret not in hidden


def test_a_spec_without_points_is_an_error_at_collection_not_a_silent_point(tmp_path):
    """Before any submission is graded: `make_plan` collects the specs (grade, check and selfcheck all make one)."""
    from grader.assignments import load_assignment
    from grader.judge.grading import collect
    from grader.judge.pool import make_plan
    from grader.judge.runner import SpecsBroken

    folder = tmp_path / "assignments" / "bare"
    (folder / "tests").mkdir(parents=True)
    (folder / "assignment.toml").write_text('title = "Bare"\nnames = []\n')
    spec = folder / "tests" / "test_public.py"
    spec.write_text("from grader.spec import points\n\n\n@points(2)\ndef test_counted():\n    pass\n\n\n"
                    "def test_forgotten():\n    pass\n")
    with pytest.raises(SpecsBroken, match=r"test_public.py::test_forgotten: no @points\(...\); every spec says what "
                                          r"it is worth \(`from grader.spec import points`, then `@points\(1\)`"):
        collect((spec,), {})
    with pytest.raises(SpecsBroken, match="test_forgotten: no @points"):
        make_plan(load_assignment("bare", tmp_path), public_only=True, seed=1)
    fixed = spec.with_name("test_fixed.py")  # (a new file: pytest keeps a module it imported once in this process)
    fixed.write_text(spec.read_text().replace("def test_forgotten", "@points(0)\ndef test_forgotten"))
    assert collect((fixed,), {}) == [("test_counted", 2.0, "hidden"), ("test_forgotten", 0.0, "hidden")]


def _course_with_spec(root, test_name: str):
    spec = root / "assignments" / "same" / "tests" / "test_public.py"
    spec.parent.mkdir(parents=True)
    spec.write_text(f"from grader.spec import points\n\n\n@points(1)\ndef {test_name}():\n    pass\n")
    return spec


def test_two_courses_with_the_same_paths_never_share_a_spec_module(tmp_path, monkeypatch):
    """pytest's importlib mode names a spec by its path from the rootdir and reuses sys.modules under that
    name: a long-lived judge (or a test run) that collects a second course's `assignments/same/tests/test_public.py`
    must see that file, not the first course's."""
    import sys

    from grader.judge.grading import collect

    monkeypatch.setenv("GRADER_CACHE", str(tmp_path / "cache"))
    first = _course_with_spec(tmp_path / "one", "test_of_the_first_course")
    second = _course_with_spec(tmp_path / "two", "test_of_the_second_course")
    before = set(sys.modules)
    assert [name for name, *_ in collect((first,), {})] == ["test_of_the_first_course"]
    assert [name for name, *_ in collect((second,), {})] == ["test_of_the_second_course"]
    assert not [name for name in set(sys.modules) - before if name.startswith("assignments")]


def test_forgetting_spec_modules_keeps_what_they_imported_from_elsewhere(tmp_path):
    import sys
    import types

    from grader.judge.runner import spec_modules_forgotten

    spec = tmp_path / "assignments" / "x" / "tests" / "test_a.py"
    with spec_modules_forgotten(str(tmp_path)):
        sys.modules["assignments"] = types.ModuleType("assignments")  # the bare package pytest makes
        sys.modules["assignments.x.tests.test_a"] = module = types.ModuleType("assignments.x.tests.test_a")
        module.__file__ = str(spec)
        sys.modules["elsewhere_for_this_test"] = other = types.ModuleType("elsewhere_for_this_test")
        other.__file__ = "/usr/lib/python3/elsewhere_for_this_test.py"
    assert "assignments" not in sys.modules and "assignments.x.tests.test_a" not in sys.modules
    assert sys.modules.pop("elsewhere_for_this_test") is other
