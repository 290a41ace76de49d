"""Stage 5: outcomes x points -> scores, as a small domain model every report renders.

A crash is a result with score 0 and a reason, not an exception: `GradingResult`
is built for every submission, whatever happened to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.judge.runner import TestOutcome, base_name

SCHEMA = "grader-report/1"


@dataclass(frozen=True)
class TestScore:
    """A test outcome with the points it earned."""

    __test__ = False  # not a pytest test class, despite the name

    outcome: TestOutcome
    score: float

    def to_dict(self) -> dict[str, Any]:
        o = self.outcome
        return {"name": o.name, "points": o.points, "score": self.score, "outcome": o.outcome,
                "message": o.message, "visibility": o.visibility, "device": o.device,
                "duration_s": o.duration_s, "clause": o.clause or base_name(o.name)}


@dataclass(frozen=True)
class GradingResult:
    """Everything known about one graded submission."""

    assignment: str
    id: str
    submission: dict[str, Any]
    status: str  # graded | error | held (tampering: not scored, for a person to review; see grader.judge.held)
    tests: tuple[TestScore, ...] = ()
    error: dict[str, str] | None = None
    max_score: float = 0.0
    extraction: dict[str, Any] = field(default_factory=lambda: {"dropped": [], "notes": []})
    devices: dict[str, Any] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    seed: int = 0
    timing: dict[str, float] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    internal: tuple[str, ...] = ()  # spec bugs, for instructors
    sandbox: dict[str, str] = field(default_factory=dict)  # how the worker was isolated
    held: dict[str, Any] | None = None  # why it is held, what happened where (status "held" only)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "assignment": self.assignment, "id": self.id, "submission": self.submission,
            "status": self.status, "error": self.error, "score": self.score, "max_score": self.max_score,
            "tests": [t.to_dict() for t in self.tests], "extraction": self.extraction,
            "devices": self.devices, "flags": list(self.flags), "seed": self.seed, "timing": self.timing,
            "environment": self.environment, "output": self.output, "hashes": self.hashes,
            "internal_errors": list(self.internal), "sandbox": self.sandbox, "held": self.held,
        }


def score_tests(outcomes: list[TestOutcome]) -> tuple[TestScore, ...]:
    """Full points for a passed test, nothing for any other outcome."""
    return tuple(TestScore(o, o.points if o.outcome == "passed" else 0.0) for o in outcomes)


def max_points(outcomes: list[TestOutcome]) -> float:
    return round(sum(o.points for o in outcomes), 4)
