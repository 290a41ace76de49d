"""Every assignment's specs proved both ways on 5 seeds (what `grader selfcheck --seeds 5` prints),
in CI: the solution full and the stubs 0 on every seed, every mutant caught on every seed and only
by the tests its `Fails:` line names."""
from __future__ import annotations

import io

import pytest

from grader.assignments import list_assignments
from grader.course.selfcheck import run_selfcheck

SEEDS = 5


@pytest.mark.slow
@pytest.mark.parametrize("slug", list_assignments())
def test_selfcheck(slug):
    out = io.StringIO()
    assert run_selfcheck([slug], jobs=2, seed=None, seeds=SEEDS, stream=out), out.getvalue()
    assert out.getvalue().count(f"on {SEEDS}/{SEEDS} seeds") >= 3  # solution, two stubs at least
