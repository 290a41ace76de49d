"""selfcheck proves the concat specs both ways, and notices a mutant nothing catches."""
from __future__ import annotations

import io

from grader.selfcheck import Case, judge_case, run_selfcheck


def test_concat_selfcheck_passes():
    out = io.StringIO()
    assert run_selfcheck(["concat"], jobs=2, seed=9, stream=out), out.getvalue()
    text = out.getvalue()
    assert "ok  solution" in text and "ok  stub .ipynb" in text and "mutant untracked" in text
    assert "caught by: test_subnet_variables_are_tracked" in text


def test_an_uncaught_mutant_is_reported():
    report = {"score": 10, "max_score": 10, "status": "graded", "tests": [{"name": "t", "score": 10, "points": 10}]}
    verdict = judge_case(Case("mutant x", None, "below"), report)  # type: ignore[arg-type]
    assert not verdict.ok and verdict.detail == "NOT caught by any test"
