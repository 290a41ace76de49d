"""The course's own mistakes are internal errors for the instructor, never the student's: a probe name that does
not exist, arguments a probe does not take, a probe that raises on its own, a graded name the stub does not
define, probes that do not load."""
from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from grader.assignments import load_assignment
from grader.judge.course_faults import (COULD_NOT_LOAD, COULD_NOT_RUN, CourseFault, check_call, contract_gaps,
                                        probe_table, stub_names, undefined_by_stub, worker_fault, worker_missing)
from grader.judge.grading import grade_submission
from grader.judge.pool import make_plan

PROBES = '''
import numpy as np


def double(sub, x):
    return sub.scale(np.asarray(x), 2.0)


def with_options(sub, x, *, factor=2.0, **extra):
    return sub.scale(np.asarray(x), factor)


def broken(sub, x):
    return sub.scale(np.asarray(x)) + undefined_in_the_probes


def reads_a_typo(sub, x):
    return sub.Scaler(x)


def reads_a_contract_name(sub, x):
    return sub.offset(x)


def student_raises(sub, x):
    return sub.scale(np.asarray(x), factor="twice")


alias = double        # bound by assignment: only the worker can check its arguments
not_a_function = 3    # bound, but no probe


def _helper(x):
    return x
'''

STUB = '''"""Exercise `scale`."""
import numpy as np


def scale(x, factor=2.0):
    raise NotImplementedError("scale is not written yet")


def offset(x):
    raise NotImplementedError("offset is not written yet")
'''

SPECS = '''
import numpy as np

from grader.spec import assert_close, points

X = np.arange(6.0).reshape(2, 3)


@points(1)
def test_doubles(submission):
    assert_close(submission.call("double", x=X), 2 * X, "scale(x, 2.0)")


@points(1)
def test_probe_name_typo(submission):
    submission.call("doubel", x=X)


@points(1)
def test_argument_the_probe_does_not_take(submission):
    submission.call("double", y=X)


@points(1)
def test_probe_raises_on_its_own(submission):
    submission.call("broken", x=X)


@points(1)
def test_probe_reads_a_name_the_stub_lacks(submission):
    submission.call("reads_a_typo", x=X)


@points(1)
def test_spec_requires_a_name_the_stub_lacks(submission):
    submission.require("Scaler")


@points(1)
def test_students_own_error(submission):
    submission.call("student_raises", x=X)


@points(1)
def test_alias_with_a_bad_argument(submission):
    submission.call("alias", y=X)


@points(1)
def test_a_name_bound_to_no_function(submission):
    submission.call("not_a_function", x=X)


@points(1)
def test_a_contract_name_the_student_lacks(submission):
    submission.call("reads_a_contract_name", x=X)
'''

STUDENT = '''import numpy as np


def scale(x, factor=2.0):
    return np.asarray(x) * factor
'''


def make_course(root: Path, probes: str = PROBES, names: str = '["scale", "Scaler"]') -> Path:
    folder = root / "assignments" / "scale"
    (folder / "tests").mkdir(parents=True)
    (folder / "assignment.toml").write_text(f'title = "Scale"\nstub = "scale.py"\nnames = {names}\n')
    (folder / "scale.py").write_text(STUB)
    (folder / "probes.py").write_text(probes)
    (folder / "tests" / "test_public.py").write_text(SPECS)
    return folder


def plan_for(root: Path, concat_plan):
    plan = make_plan(load_assignment("scale", root), public_only=True, seed=7)
    return dataclasses.replace(plan, hide=concat_plan.hide, show=concat_plan.show, limits=concat_plan.limits)


def test_probe_table_reads_each_probes_arguments():
    table = probe_table(PROBES)
    assert table is not None and "_helper" not in table and "np" not in table  # a module is never a probe
    assert table["double"].keywords == ("x",) and table["double"].required == ("x",)
    assert table["with_options"].any_keyword and table["alias"] is None
    assert probe_table("def broken(:\n") is None


@pytest.mark.parametrize("probe, kwargs, said", [
    ("doubel", {"x": 1}, "the spec calls probe 'doubel', which probes.py does not define (did you mean 'double'?)"),
    ("double", {"y": 1}, "with arguments it does not take: it takes no argument 'y'; it needs 'x' (it takes x"),
    ("double", {}, "it needs 'x'"),
    ("nq", {}, "which probes.py does not define; its probes: alias, broken, double, not_a_function, reads_a_"),
])
def test_a_spec_calling_what_the_probes_do_not_offer_is_the_courses_fault(probe, kwargs, said):
    with pytest.raises(CourseFault) as info:
        check_call(probe_table(PROBES), probe, kwargs)
    assert said in info.value.detail


def test_what_the_probes_do_offer_passes():
    table = probe_table(PROBES)
    check_call(table, "double", {"x": 1})
    check_call(table, "with_options", {"x": 1, "factor": 3, "anything": 4})
    check_call(table, "alias", {"y": 1})  # the worker decides
    check_call(None, "whatever", {})  # probes that do not parse: the worker says why


def test_stub_names_and_the_contracts_gaps(tmp_path):
    folder = make_course(tmp_path)
    stub = folder / "scale.py"
    assert stub_names(stub) == {"np", "scale", "offset"}
    assert undefined_by_stub(["scale", "Scaler"], stub) == ["Scaler"]
    assert contract_gaps(("scale", "Scaler"), stub) == [
        "assignment.toml names Scaler, which the stub scale.py does not define: a typo in `names` or in the stub? "
        "Submissions are not asked for it."]
    assert stub_names(tmp_path / "absent.py") is None and undefined_by_stub(["x"], tmp_path / "absent.py") == []


def test_what_a_worker_says_is_bounded_text():
    error = {"course": {"kind": "probe-raised", "type": "NameError" * 100, "where": "probes.py, line 3, in f",
                        "code": ["not", "text"], "message": "x\n" * 5000}}
    note = worker_fault(error, "f")
    assert note.startswith("probe 'f' raised NameError") and len(note) < 1000 and "\n" not in note
    assert worker_fault({"course": "yes"}, "f") is None and worker_fault("no", "f") is None
    assert worker_missing({"missing": "Scaler"}) == "Scaler" and worker_missing({"missing": "a b"}) is None


def test_every_kind_of_course_mistake_is_an_internal_error_and_the_student_is_not_blamed(tmp_path, concat_plan, zygote):
    make_course(tmp_path)
    student = tmp_path / "student.py"
    student.write_text(STUDENT)
    result = grade_submission(student, plan_for(tmp_path, concat_plan), submission_id="student").to_dict()
    assert result["status"] == "graded"
    by_name = {t["name"]: t for t in result["tests"]}
    assert by_name["test_doubles"]["outcome"] == "passed"
    own = by_name["test_students_own_error"]
    assert own["outcome"] == "error" and own["message"].startswith("Your code raised an error: ")
    assert "at line 5" in own["message"]
    missing = by_name["test_a_contract_name_the_student_lacks"]
    assert (missing["outcome"], missing["message"]) == ("failed", "Your code does not define offset.")
    course = {name: t for name, t in by_name.items()
              if name not in ("test_doubles", "test_students_own_error", "test_a_contract_name_the_student_lacks")}
    for name, test in course.items():
        assert (test["outcome"], test["message"], test["score"]) == ("error", COULD_NOT_RUN, 0.0), name
    notes = result["internal_errors"]
    assert notes[0].startswith("assignment.toml names Scaler, which the stub scale.py does not define")
    expected = {
        "test_probe_name_typo": "the spec calls probe 'doubel', which probes.py does not define (did you mean 'double'?)",
        "test_argument_the_probe_does_not_take": "the spec calls probe 'double' with arguments it does not take",
        "test_probe_raises_on_its_own": "probe 'broken' raised NameError at probes.py, line 14, in broken "
                                        "(`return sub.scale(np.asarray(x)) + undefined_in_the_probes`): "
                                        "name 'undefined_in_the_probes' is not defined",
        "test_probe_reads_a_name_the_stub_lacks": "probe 'reads_a_typo' reads Scaler from the submission, which the "
                                                  "stub scale.py does not define",
        "test_spec_requires_a_name_the_stub_lacks": "the spec requires Scaler, which the stub scale.py does not define",
        "test_alias_with_a_bad_argument": "probe 'alias' cannot take these arguments: ",
        "test_a_name_bound_to_no_function": "no probe named 'not_a_function' in the probes",
    }
    for name, start in expected.items():
        assert any(note.startswith(f"{name}: {start}") for note in notes), (name, notes)
    assert len(notes) == 1 + len(expected)


def test_probes_that_do_not_load_stop_every_submission_as_the_courses_fault(tmp_path, concat_plan, zygote):
    make_course(tmp_path, probes="import a_module_the_worker_lacks\n\n" + PROBES, names='["scale"]')
    student = tmp_path / "student.py"
    student.write_text(STUDENT)
    result = grade_submission(student, plan_for(tmp_path, concat_plan), submission_id="student").to_dict()
    assert result["status"] == "error" and result["error"] == {"kind": "course", "message": COULD_NOT_LOAD}
    assert result["internal_errors"] == ["the probes could not be loaded: ModuleNotFoundError at probes.py, line 1: "
                                         "No module named 'a_module_the_worker_lacks'"]
    assert all(t["message"] == COULD_NOT_LOAD for t in result["tests"])
