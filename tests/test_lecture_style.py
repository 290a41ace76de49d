"""Correct code written the lecture's way, where Keras 3 still accepts it, scores full marks."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from grader.api import make_plan
from grader.course import Limits, load_assignment
from grader.grading import grade_submission

ROOT = Path(__file__).resolve().parent.parent

# (assignment, the reference solution's text, the lecture's spelling)
VARIANTS = [
    ("mydense", "tf.keras.layers.Layer", "tf.keras.Model"),  # the lecture subclasses Model for layers
    ("concat", "tf.keras.Model", "tf.keras.layers.Layer"),   # ASSIGNMENTS.md accepts both bases
    ("mydense", "import tensorflow as tf", "import tensorflow as tf\nfrom tensorflow import keras"),
]


@pytest.mark.parametrize(("slug", "old", "new"), VARIANTS)
def test_lecture_idioms_score_full_marks(tmp_path, slug, old, new):
    assignment = load_assignment(slug)
    code = (ROOT / "solutions" / slug / "solution.py").read_text()
    assert old in code
    path = tmp_path / assignment.stub
    path.write_text(code.replace(old, new))
    plan = dataclasses.replace(make_plan(assignment, public_only=False, seed=77),
                               limits=Limits(request_s=60, submission_s=240))
    result = grade_submission(path, plan, submission_id="lecture")
    assert result.score == result.max_score == 10, [t.outcome.message for t in result.tests if not t.score]
