"""Points: full for passed, nothing otherwise; a report lists every test."""
from __future__ import annotations

from grader.judge.runner import TestOutcome
from grader.judge.score import GradingResult, max_points, score_tests


def outcome(name, points, kind):
    return TestOutcome(name=name, points=points, outcome=kind, message="", visibility="hidden", duration_s=0.1)


def test_only_passed_tests_score():
    tests = [outcome("a", 2, "passed"), outcome("b", 1.5, "failed"), outcome("c", 1, "timeout"),
             outcome("d", 1, "error"), outcome("e", 0.5, "skipped")]
    scored = score_tests(tests)
    assert [t.score for t in scored] == [2, 0, 0, 0, 0]
    result = GradingResult(assignment="x", id="s", submission={}, status="graded", tests=scored,
                           max_score=max_points(tests))
    report = result.to_dict()
    assert (report["score"], report["max_score"]) == (2, 6)
    assert [t["outcome"] for t in report["tests"]] == ["passed", "failed", "timeout", "error", "skipped"]
    assert report["schema"] == "grader-report/1"


def test_each_test_entry_names_its_clause_or_its_own_name():
    import dataclasses

    tests = [dataclasses.replace(outcome("test_shape[2-3]", 1, "passed"), clause="call returns concat"),
             outcome("test_other[x]", 1, "failed")]
    report = GradingResult(assignment="x", id="s", submission={}, status="graded", tests=score_tests(tests),
                           max_score=2).to_dict()
    assert [t["clause"] for t in report["tests"]] == ["call returns concat", "test_other"]
