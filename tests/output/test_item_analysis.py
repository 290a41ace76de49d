"""Tests for grader.item_analysis: per-test pass counts, mean scores and grouped failure messages."""
from __future__ import annotations

from typing import Any

from grader.output.item_analysis import TOP_MESSAGES, item_analysis, message_pattern


def result(name: str, points: float, outcome: str, message: str = "") -> dict[str, Any]:
    return {"name": name, "points": points, "score": points if outcome == "passed" else 0.0, "outcome": outcome,
            "message": message, "visibility": "visible"}


def report(tests: list[dict[str, Any]], status: str = "graded") -> dict[str, Any]:
    return {"status": status, "tests": tests}


def test_messages_differing_only_in_numbers_share_a_pattern() -> None:
    a = message_pattern("ConcatBlock output has the right shape but 4 of 24 values differ (max 0.25).")
    b = message_pattern("ConcatBlock output has the right shape but 17 of 24 values differ (max 1.5e-3).")
    assert a == b == "ConcatBlock output has the right shape but # of # values differ (max #)."
    assert message_pattern("shape (2, 3) at 0x7f3a9c") == "shape (#, #) at #"
    assert message_pattern("wrong shape") != message_pattern("wrong axis")


def test_pass_counts_rates_and_mean_scores() -> None:
    items = item_analysis([
        report([result("shape", 2, "passed"), result("values", 3, "failed", "4 of 24 values differ")]),
        report([result("shape", 2, "passed"), result("values", 3, "passed")]),
        report([result("shape", 2, "failed", "shape (2, 8), expected (2, 6)"), result("values", 3, "error", "boom")]),
        report([result("shape", 2, "timeout", "too slow"), result("values", 3, "failed", "9 of 24 values differ")]),
    ])
    shape, values = items
    assert [i["name"] for i in items] == ["shape", "values"]
    assert (shape["points"], shape["submissions"], shape["passed"], shape["pass_rate"], shape["mean_score"]) == \
        (2.0, 4, 2, 0.5, 1.0)
    assert (values["passed"], values["pass_rate"], values["mean_score"]) == (1, 0.25, 0.75)
    assert values["top_messages"][0] == {"message": "4 of 24 values differ", "pattern": "# of # values differ",
                                         "count": 2, "numbers_vary": True}
    assert values["top_messages"][1] == {"message": "boom", "pattern": "boom", "count": 1, "numbers_vary": False}


def test_top_messages_are_the_most_frequent_first_seen_first_on_ties() -> None:
    reports = [report([result("t", 1, "failed", text)]) for text in ["a", "b", "b", "c", "d", "d", "d", "e"]]
    top = item_analysis(reports)[0]["top_messages"]
    assert [(m["message"], m["count"]) for m in top] == [("d", 3), ("b", 2), ("a", 1)][:TOP_MESSAGES]


def test_a_submission_that_could_not_run_counts_as_not_graded_not_as_a_message() -> None:
    items = item_analysis([
        report([result("t", 1, "failed", "wrong")]),
        report([result("t", 1, "error", "Syntax error at line 3")], status="error"),
        report([], status="error"),  # no tests listed at all: still in the denominator
    ])
    assert items[0]["submissions"] == 3 and items[0]["not_graded"] == 1 and items[0]["mean_score"] == 0.0
    assert [m["message"] for m in items[0]["top_messages"]] == ["wrong"]


def test_empty_messages_name_the_outcome_and_huge_ones_are_bounded() -> None:
    huge = "x" * 50_000
    items = item_analysis([report([result("t", 1, "timeout")]), report([result("t", 1, "failed", huge)])])
    messages = items[0]["top_messages"]
    assert messages[0]["message"] == "(timeout)"
    assert len(messages[1]["message"]) == 1000


def test_malformed_tests_are_ignored() -> None:
    items = item_analysis([{"status": "graded", "tests": ["junk", {"name": 3}, result("t", 1, "passed")]}])
    assert [(i["name"], i["passed"]) for i in items] == [("t", 1)]
    assert item_analysis([]) == []
