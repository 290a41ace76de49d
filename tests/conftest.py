"""Shared fixtures: one warm zygote for the whole session, and plans that use it."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.api import make_plan
from grader.course import Limits, load_assignment
from grader.grading import Plan
from grader.zygote import Zygote

ROOT = Path(__file__).resolve().parent.parent
CONCAT_SOLUTION = ROOT / "solutions" / "concat" / "solution.py"


@pytest.fixture(scope="session")
def zygote() -> Iterator[Zygote]:
    with Zygote() as warm:
        assert warm.ready, warm.reason
        yield warm


@pytest.fixture(scope="session")
def concat_plan(zygote: Zygote) -> Plan:
    """Public + hidden concat specs, a fixed seed, short limits, warm workers."""
    plan = make_plan(load_assignment("concat"), public_only=False, seed=4242)
    limits = Limits(request_s=20, submission_s=60, max_file_mb=1)
    return dataclasses.replace(plan, zygote_socket=zygote.socket_path, limits=limits, max_bytes=1024 * 1024)


@pytest.fixture
def solution_code() -> str:
    return CONCAT_SOLUTION.read_text(encoding="utf-8")
