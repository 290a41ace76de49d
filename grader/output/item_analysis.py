"""Item analysis: how the class did on each test, from the per-submission reports.

One row per test: its points, how many submissions passed it, the mean score,
and the most frequent failure messages. Messages that differ only in numbers
("4 of 24 values differ", "7 of 24 values differ") count as one message, so
the instructor sees the mistake, not each student's random inputs.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TOP_MESSAGES = 3
MESSAGE_CHARS = 1000  # a message is judge-written but quotes student text: bound the work on it
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SPACE = re.compile(r"\s+")


def message_pattern(message: str) -> str:
    """The message with every number replaced by `#`: the key messages are grouped by."""
    text = _HEX.sub("#", message[:MESSAGE_CHARS])
    return _SPACE.sub(" ", _NUMBER.sub("#", text)).strip()


@dataclass
class _Group:
    """Failure messages with one pattern: how many, the first as written, whether they differ."""

    first: str
    count: int = 0
    varies: bool = False

    def add(self, message: str) -> None:
        self.count += 1
        self.varies = self.varies or message != self.first


@dataclass
class _Item:
    name: str
    points: float = 0.0
    visibility: str = "visible"
    passed: int = 0
    not_graded: int = 0
    score: float = 0.0
    groups: dict[str, _Group] = field(default_factory=dict)

    def add(self, test: dict[str, Any], graded: bool) -> None:
        self.points = max(self.points, _number(test.get("points")))
        self.visibility = str(test.get("visibility", self.visibility))
        self.score += _number(test.get("score"))
        if test.get("outcome") == "passed":
            self.passed += 1
            return
        if not graded:  # its one error (a syntax error...) would top every test's messages
            self.not_graded += 1
            return
        message = str(test.get("message") or "")[:MESSAGE_CHARS] or f"({test.get('outcome', 'no result')})"
        self.groups.setdefault(message_pattern(message), _Group(message)).add(message)

    def to_dict(self, submissions: int) -> dict[str, Any]:
        ranked = sorted(self.groups.items(), key=lambda kv: -kv[1].count)[:TOP_MESSAGES]  # stable: ties keep first seen
        return {
            "name": self.name, "points": self.points, "visibility": self.visibility,
            "submissions": submissions, "passed": self.passed, "not_graded": self.not_graded,
            "pass_rate": round(self.passed / submissions, 4) if submissions else 0.0,
            "mean_score": round(self.score / submissions, 4) if submissions else 0.0,
            "top_messages": [{"message": g.first, "pattern": pattern, "count": g.count, "numbers_vary": g.varies}
                             for pattern, g in ranked],
        }


def item_analysis(reports: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per test, in the order tests first appear: pass counts and rates, mean score, top failure messages.

    Every submission counts in every test's denominator: a submission whose
    report lacks a test scored 0 on it. A submission that could not be run at
    all (status "error") or held for review (status "held") counts as `not_graded`, not among the messages.
    """
    items: dict[str, _Item] = {}
    count = 0
    for report in reports:
        count += 1
        graded = report.get("status") not in ("error", "held")
        for test in report.get("tests") or []:
            if isinstance(test, dict) and isinstance(test.get("name"), str):
                items.setdefault(test["name"], _Item(test["name"])).add(test, graded)
    return [item.to_dict(count) for item in items.values()]


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
