"""Device legs end to end: no GPU, a faked GPU leg that disagrees, and the legacy Keras leg."""
from __future__ import annotations

import dataclasses

import pytest

from grader.judge.devices import detect_gpus, plan_legs
from grader.judge.grading import grade_submission

GPU_SENSITIVE = '''
import os
import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1, self.net2, self.axis = net1, net2, axis

    def call(self, X):
        if os.environ.get("CUDA_VISIBLE_DEVICES", "-1") != "-1" and self.axis != -1:
            return tf.concat([self.net1(X), self.net1(X)], axis=self.axis)  # a GPU-only bug
        return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)
'''


def test_without_a_gpu_the_report_says_cpu_ran_gpu_skipped(tmp_path, concat_plan, solution_code):
    path = tmp_path / "concat.py"
    path.write_text(solution_code)
    report = grade_submission(path, concat_plan, submission_id="s").to_dict()
    assert report["devices"]["cpu"]["status"] == "ran"
    assert report["devices"]["gpu"] == {"status": "skipped", "reason": "no GPU visible"}
    assert set(report["devices"]["cpu"]["tests"].values()) == {"passed"}


def test_a_test_that_fails_only_on_the_gpu_leg_is_flagged(tmp_path, concat_plan, monkeypatch):
    monkeypatch.setenv("GRADER_FAKE_GPUS", "1")
    detect_gpus.cache_clear()
    try:
        plan = dataclasses.replace(concat_plan, legs=plan_legs("auto", detect_gpus()))
        path = tmp_path / "concat.py"
        path.write_text(GPU_SENSITIVE)
        report = grade_submission(path, plan, submission_id="g").to_dict()
    finally:
        detect_gpus.cache_clear()
    devices = report["devices"]
    assert devices["cpu"]["status"] == devices["gpu"]["status"] == "ran"
    assert report["score"] == 10  # scored from the CPU leg
    assert devices["disagreements"] == [{"test": "test_axis_argument_is_used", "cpu": "passed", "gpu": "failed"}]
    assert "device-disagreement" in report["flags"]
    assert devices["numeric"]["compared"] > 0 and devices["numeric"]["mismatched"] >= 1


KERAS2_ONLY = '''
import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        if not tf.keras.__name__.startswith("tf_keras"):  # Keras 2, as the lectures used
            raise RuntimeError("written for Keras 2")
        super().__init__()
        self.net1, self.net2, self.axis = net1, net2, axis

    def call(self, X):
        return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)
'''


@pytest.mark.slow
def test_the_legacy_leg_grades_keras2_code(tmp_path, concat_plan):
    path = tmp_path / "concat.py"
    path.write_text(KERAS2_ONLY)
    default = grade_submission(path, concat_plan, submission_id="k3")
    assert default.score == 0  # under Keras 3 the class refuses to work
    legacy = grade_submission(path, dataclasses.replace(concat_plan, legacy=True), submission_id="k2")
    assert legacy.score == 10 and legacy.environment["keras_mode"] == "legacy"
