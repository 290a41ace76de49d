"""The final score: the graded score, then overrides and the late penalty, each with its reason.

Applied whenever the summary is built (grade, merge, report), never written into a graded
report, so a re-grade or `--force` keeps them. In order:
1. overrides of one test (`test` set): change or set that test's score, kept within 0..its points;
2. the late penalty, on what the tests add up to;
3. overrides of the total, in file order: `+1`/`-0.5` change it, `=8` sets it.
The final score is never below 0 (a bonus may take it above the maximum).

A report "held" for review (tampering) has no final score (exports leave it empty) until an
override sets its total with `=`; an "error" report (nothing could run) has 0 unless overridden.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.intake.identity import Identity
from grader.output.late_policy import LatePolicy, penalty
from grader.output.overrides import Override

HELD = "held"


@dataclass(frozen=True)
class Adjustment:
    """One change to a score: an override row or the late penalty."""

    kind: str  # "override" or "late"
    change: str  # "+1", "-0.5", "=8", "-2 (late)"
    points: float  # what it did to the total
    reason: str
    test: str | None = None
    by: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "change": self.change, "points": self.points,
                               "reason": self.reason}
        out.update({k: v for k, v in (("test", self.test), ("by", self.by), ("line", self.line)) if v is not None})
        return out

    def describe(self) -> str:
        """One line for a page or a CSV cell: `+1 on test_x (regrade request, TA Kim)`."""
        where = f" on {self.test}" if self.test else ""
        who = f", {self.by}" if self.by else ""
        return f"{self.change}{where}: {self.reason}{who}"


@dataclass(frozen=True)
class Final:
    """A submission's graded and final scores, and what turned one into the other."""

    graded: float
    final: float | None  # None: held for review and not resolved by an override
    max_score: float
    adjustments: tuple[Adjustment, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def adjusted(self) -> bool:
        return bool(self.adjustments) or (self.final is not None and self.final != self.graded)

    def to_dict(self) -> dict[str, Any]:
        return {"graded_score": self.graded, "final_score": self.final,
                "adjustments": [a.to_dict() for a in self.adjustments], "adjustment_notes": list(self.notes)}

    def describe(self) -> str:
        return "; ".join(a.describe() for a in self.adjustments)


def final_score(report: dict[str, Any], overrides: list[Override], policy: LatePolicy | None) -> Final:
    """Apply this submission's override rows (already picked by id) and the late policy to its report."""
    graded = _number(report.get("score"))
    max_score = _number(report.get("max_score"))
    adjustments: list[Adjustment] = []
    notes: list[str] = []
    total = _with_test_overrides(report, [o for o in overrides if o.test], adjustments, notes)
    if policy is not None and report.get("status") != HELD:
        late = penalty(policy, str(report.get("id", "")), Identity.from_report(report), max_score)
        if late is not None:
            taken = min(late.points, max(total, 0.0))
            adjustments.append(Adjustment("late", f"{-late.points:+g} (late)", -taken, late.reason))
            total -= taken
    resolved = False
    for row in (o for o in overrides if not o.test):
        before = total
        total = row.value if row.op == "=" else total + row.value
        total = max(total, 0.0)
        resolved = resolved or row.op == "="
        adjustments.append(Adjustment("override", row.describe(), round(total - before, 4), row.reason,
                                      by=row.by, line=row.line))
    if report.get("status") == HELD and not resolved:
        if adjustments:
            notes.append("held for review: its score stays empty until an override sets it (=N)")
        return Final(graded, None, max_score, tuple(adjustments), tuple(notes))
    return Final(graded, round(max(total, 0.0), 4), max_score, tuple(adjustments), tuple(notes))


def _with_test_overrides(report: dict[str, Any], rows: list[Override], adjustments: list[Adjustment],
                         notes: list[str]) -> float:
    tests = {t["name"]: t for t in report.get("tests") or [] if isinstance(t, dict) and isinstance(t.get("name"), str)}
    scores = {name: _number(t.get("score")) for name, t in tests.items()}
    for row in rows:
        test = tests.get(row.test or "")
        if test is None:
            notes.append(f"line {row.line}: no test {row.test!r} in this report; the override was not applied")
            continue
        points = _number(test.get("points"))
        before = scores[test["name"]]
        wanted = row.value if row.op == "=" else before + row.value
        scores[test["name"]] = min(max(wanted, 0.0), points)
        if scores[test["name"]] != wanted:
            notes.append(f"line {row.line}: {test['name']} kept within 0..{points:g} points")
        adjustments.append(Adjustment("override", row.describe(), round(scores[test["name"]] - before, 4),
                                      row.reason, test=row.test, by=row.by, line=row.line))
    if not rows:
        return _number(report.get("score"))
    return round(sum(scores.values()), 4)


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
