"""Tests for grader.output.adjust: graded score -> final score, with overrides, the late policy and held work."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.output.adjust import final_score
from grader.output.late_policy import load_late_policy
from grader.output.overrides import Override


def report(status: str = "graded", **identity: Any) -> dict[str, Any]:
    tests = [{"name": "shape", "points": 2.0, "score": 2.0, "outcome": "passed"},
             {"name": "axis", "points": 3.0, "score": 0.0, "outcome": "failed"},
             {"name": "values", "points": 5.0, "score": 5.0, "outcome": "passed"}]
    if status != "graded":
        tests = [dict(t, score=0.0, outcome="error") for t in tests]
    return {"id": "alice", "status": status, "score": sum(t["score"] for t in tests), "max_score": 10.0,
            "tests": tests, **identity}


def row(points: str, test: str | None = None, line: int = 2, by: str | None = None) -> Override:
    op, value = ("=", float(points[1:])) if points.startswith("=") else ("+", float(points))
    return Override(line, "alice", op, value, f"reason {line}", test, by)


def late_policy(tmp_path: Path):
    path = tmp_path / "late.toml"
    path.write_text('due = 2026-03-01T23:59:00Z\npenalty_per_day = "10%"\n', encoding="utf-8")
    return load_late_policy(path)


def test_no_adjustments_keeps_the_graded_score() -> None:
    final = final_score(report(), [], None)
    assert (final.graded, final.final, final.adjusted, final.adjustments) == (7.0, 7.0, False, ())


def test_a_test_override_is_kept_within_the_tests_points() -> None:
    final = final_score(report(), [row("+2", "axis"), row("+5", "shape", line=3)], None)
    assert final.final == 9.0  # axis 0 -> 2; shape stays at its 2 points
    assert [(a.change, a.points, a.test) for a in final.adjustments] == [("+2", 2.0, "axis"), ("+5", 0.0, "shape")]
    assert final.notes == ("line 3: shape kept within 0..2 points",)


def test_an_unknown_test_is_noted_and_not_applied() -> None:
    final = final_score(report(), [row("+1", "nosuch")], None)
    assert final.final == 7.0 and final.notes == ("line 2: no test 'nosuch' in this report; the override was not applied",)


def test_total_overrides_apply_in_file_order_after_the_late_penalty(tmp_path: Path) -> None:
    late = report(submitted_at="2026-03-03T12:00:00+00:00")  # 1 d 12 h 1 min late: 2 started days, -2
    final = final_score(late, [row("+1", line=2), row("=8", line=3), row("-0.5", line=4, by="TA")],
                        late_policy(tmp_path))
    assert [(a.kind, a.change, a.points) for a in final.adjustments] == [
        ("late", "-2 (late)", -2.0), ("override", "+1", 1.0), ("override", "=8", 2.0), ("override", "-0.5", -0.5)]
    assert final.final == 7.5
    assert final.describe().startswith("-2 (late): late: submitted 1 d 12 h 1 min after the due time")
    assert final.describe().endswith("; -0.5: reason 4, TA")


def test_never_below_zero_and_a_bonus_may_pass_the_maximum() -> None:
    assert final_score(report(), [row("-20")], None).final == 0.0
    assert final_score(report(), [row("+5")], None).final == 12.0


def test_an_error_report_exports_zero_unless_overridden(tmp_path: Path) -> None:
    broken = report("error", submitted_at="2026-03-09T00:00:00+00:00")
    final = final_score(broken, [], late_policy(tmp_path))
    assert final.final == 0.0
    assert final.adjustments[0].points == 0.0  # nothing to take: the penalty is recorded, it takes nothing
    assert final_score(broken, [row("=6")], None).final == 6.0


def test_held_work_has_no_final_score_until_an_override_sets_it(tmp_path: Path) -> None:
    held = report("held", late=True)
    assert final_score(held, [], late_policy(tmp_path)).final is None
    bonus = final_score(held, [row("+1")], None)
    assert bonus.final is None and bonus.notes == ("held for review: its score stays empty until an override sets it (=N)",)
    resolved = final_score(held, [row("=9"), row("-1", line=3)], late_policy(tmp_path))
    assert resolved.final == 8.0 and all(a.kind == "override" for a in resolved.adjustments)  # no late penalty on held


def test_to_dict_is_what_summary_json_carries() -> None:
    data = final_score(report(), [row("+1", by="TA Kim")], None).to_dict()
    assert data == {"graded_score": 7.0, "final_score": 8.0, "adjustment_notes": [],
                    "adjustments": [{"kind": "override", "change": "+1", "points": 1.0, "reason": "reason 2",
                                     "by": "TA Kim", "line": 2}]}
