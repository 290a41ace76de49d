"""Shared fixtures: one warm zygote for the whole session, and plans that use it."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from grader.assignments import Limits, load_assignment
from grader.judge.plan import Plan
from grader.judge.pool import make_plan
from grader.sandbox.warm import Zygote, process_zygote

ROOT = Path(__file__).resolve().parent.parent
CONCAT_SOLUTION = ROOT / "solutions" / "concat" / "solution.py"


@pytest.fixture(scope="session")
def concat_plan() -> Plan:
    """Public + hidden concat specs, a fixed seed, short limits, warm workers."""
    plan = make_plan(load_assignment("concat"), public_only=False, seed=4242)
    limits = Limits(request_s=20, submission_s=60, max_file_mb=1)
    return dataclasses.replace(plan, limits=limits, max_bytes=1024 * 1024)


@pytest.fixture(scope="session")
def zygote(concat_plan: Plan) -> Zygote:
    """This test process's zygote (the one concat_plan's workers are forked from)."""
    warm = process_zygote(hide=concat_plan.hide, show=concat_plan.show)
    assert warm.ready, warm.reason
    return warm


@pytest.fixture
def solution_code() -> str:
    return CONCAT_SOLUTION.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def every_report_renders_valid_gradescope(monkeypatch):
    """Every report built in this test run must render to Gradescope JSON valid against the schema."""
    import json

    import jsonschema

    from grader.judge.score import GradingResult
    from grader.output.formats import render_gradescope

    schema = json.loads((Path(__file__).parent / "gradescope_schema.json").read_text())
    original = GradingResult.to_dict

    def checked(self: GradingResult) -> dict:
        report = original(self)
        jsonschema.validate(render_gradescope(report), schema)
        return report

    monkeypatch.setattr(GradingResult, "to_dict", checked)
