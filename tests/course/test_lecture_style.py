"""Correct code written the lecture's way, where Keras 3 still accepts it, scores full marks."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from grader.assignments import Limits, load_assignment
from grader.judge.grading import grade_submission
from grader.judge.pool import make_plan

ROOT = Path(__file__).resolve().parents[2]

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


ACCEPTED = sorted((ROOT / "solutions").glob("*/accepted/*.py"))


@pytest.mark.parametrize("path", ACCEPTED, ids=[f"{p.parent.parent.name}/{p.stem}" for p in ACCEPTED])
def test_accepted_variants_score_full_marks(tmp_path, path):
    """solutions/<slug>/accepted/ holds right answers that an earlier spec got wrong."""
    slug = path.parent.parent.name
    assignment = load_assignment(slug)
    (tmp_path / assignment.stub).write_text(path.read_text())
    plan = dataclasses.replace(make_plan(assignment, public_only=False, seed=78),
                               limits=Limits(request_s=60, submission_s=240))
    result = grade_submission(tmp_path / assignment.stub, plan, submission_id="accepted")
    assert result.score == result.max_score == 10, [t.outcome.message for t in result.tests if not t.score]
    if path.stem == "functional_keras2_idiom":
        _assert_keras3_note_shown(result.to_dict())


def _assert_keras3_note_shown(report):
    """The note rides on a 0-point test that passes: in the JSON report, the table and Gradescope."""
    from grader.output.console import result_table
    from grader.output.formats import render_gradescope

    [note] = [t for t in report["tests"] if t["name"] == "test_note_on_keras3_batchnorm"]
    assert (note["outcome"], note["points"], note["score"]) == ("passed", 0.0, 0.0)
    assert "keras-team/keras#20285" in note["message"] and "subclass" in note["message"]
    assert "keras-team/keras#20285" in result_table(report, width=400)
    [shown] = [t for t in render_gradescope(report)["tests"] if t["name"] == note["name"]]
    assert shown["status"] == "passed" and shown["output"] == note["message"]
