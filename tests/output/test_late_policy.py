"""Tests for grader.output.late_policy: the policy file, and what is applied with and without a time."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.intake.identity import Identity, Student
from grader.output.late_policy import Amount, load_late_policy, penalty

POLICY = """\
due = 2026-03-01T23:59:00-05:00
grace_minutes = 15
penalty_per_day = "10%"
cap = "30%"

[extensions]
asmith = 2026-03-04T23:59:00-05:00
"""


def policy(tmp_path: Path, text: str = POLICY):
    path = tmp_path / "late-policy.toml"
    path.write_text(text, encoding="utf-8")
    return load_late_policy(path)


def submitted(when: str, **student: str) -> Identity:
    return Identity(student=Student(**student), submitted_at=when)


@pytest.mark.parametrize("when, days, points", [
    ("2026-03-01T23:58:59-05:00", None, None),  # on time
    ("2026-03-02T00:14:00-05:00", None, None),  # within the 15 minutes' grace
    ("2026-03-02T05:13:00+00:00", None, None),  # the same instant in UTC: time zones are honoured
    ("2026-03-02T00:15:01-05:00", 1, 1.0),  # past the grace: one started day
    ("2026-03-03T00:14:00-05:00", 1, 1.0),  # a day after due + grace, to the minute
    ("2026-03-03T00:16:00-05:00", 2, 2.0),
    ("2026-03-09T12:00:00-05:00", 8, 3.0),  # capped at 30%
])
def test_penalty_from_the_submission_time(tmp_path: Path, when: str, days: int | None, points: float | None) -> None:
    found = penalty(policy(tmp_path), "x", submitted(when), 10.0)
    assert (found.days, found.points) == (days, points) if found else days is None
    if found:
        assert found.reason.startswith("late: submitted ") and "after the due time (2026-03-01T23:59-05:00)" in found.reason


def test_an_extension_moves_the_due_time_for_that_student(tmp_path: Path) -> None:
    rules = policy(tmp_path)
    assert penalty(rules, "x", submitted("2026-03-03T10:00:00-05:00", login="asmith"), 10.0) is None
    assert penalty(rules, "x", submitted("2026-03-03T10:00:00-05:00", login="bob"), 10.0).days == 2


def test_canvas_late_marker_without_a_time(tmp_path: Path) -> None:
    marked = Identity(late=True)
    graced = penalty(policy(tmp_path), "x", marked, 10.0)
    assert graced.points == 0 and "may be within the 15 min grace period" in graced.reason
    strict = policy(tmp_path, POLICY.replace("grace_minutes = 15", "grace_minutes = 0"))
    one_day = penalty(strict, "x", marked, 10.0)
    assert (one_day.days, one_day.points) == (1, 1.0) and "least penalty for late work (one day's)" in one_day.reason
    fixed = policy(tmp_path, POLICY.replace("cap", "late_without_time = 2\ncap"))
    assert penalty(fixed, "x", marked, 10.0).points == 2.0
    none = policy(tmp_path, POLICY.replace("cap", 'late_without_time = "none"\ncap'))
    assert penalty(none, "x", marked, 10.0).points == 0
    assert penalty(strict, "x", Identity(late=False), 10.0) is None  # on time per Canvas
    assert penalty(strict, "x", Identity(), 10.0) is None  # nothing says when: nothing applied


def test_points_instead_of_a_share(tmp_path: Path) -> None:
    rules = policy(tmp_path, 'due = 2026-03-01T23:59:00Z\npenalty_per_day = 1.5\n')
    assert rules.penalty_per_day == Amount(1.5, False) and rules.cap is None
    assert penalty(rules, "x", submitted("2026-03-05T00:00:00Z"), 10.0).points == 6.0


@pytest.mark.parametrize("text, message", [
    ('due = 2026-03-01T23:59:00\npenalty_per_day = "10%"\n', "due = 2026-03-01T23:59:00 has no time zone"),
    ('due = 2026-03-01\npenalty_per_day = "10%"\n', "due must be a date and time"),
    ('penalty_per_day = "10%"\n', "'due' and 'penalty_per_day' are needed"),
    ('due = 2026-03-01T23:59:00Z\npenalty_per_day = "ten"\n', "penalty_per_day must be points"),
    ('due = 2026-03-01T23:59:00Z\npenalty_per_day = "150%"\n', "penalty_per_day must be points"),
    ('due = 2026-03-01T23:59:00Z\npenalty_per_day = 1\ngrace = 5\n', "unknown key 'grace'"),
    ('due = 2026-03-01T23:59:00Z\npenalty_per_day = 1\ngrace_minutes = -5\n', "grace_minutes must be"),
    ('due = 2026-03-01T23:59:00Z\npenalty_per_day = 1\nlate_without_time = "max"\n', "late_without_time must be"),
    ("due = [\n", "is not valid TOML"),
])
def test_a_bad_policy_is_a_usage_error_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        policy(tmp_path, text)
