"""Leg selection, GPU detection (faked), slots, and comparing legs."""
from __future__ import annotations

import numpy as np
import pytest

from grader.errors import UsageError
from grader.judge.devices import LegPlan, compare_answers, detect_gpus, disagreements, gpu_slot, plan_legs


@pytest.fixture
def fake_gpus(monkeypatch):
    def set_count(n: int) -> tuple[str, ...]:
        monkeypatch.setenv("GRADER_FAKE_GPUS", str(n))
        detect_gpus.cache_clear()
        return detect_gpus()

    yield set_count
    detect_gpus.cache_clear()


def test_detection_can_be_faked(fake_gpus):
    assert fake_gpus(0) == ()
    assert fake_gpus(2) == ("fake-gpu-0", "fake-gpu-1")


def test_legs_without_a_gpu():
    assert plan_legs("auto", ()) == LegPlan(("cpu",), (("gpu", "no GPU visible"),))
    assert plan_legs("cpu", ("A100",)) == LegPlan(("cpu",), (("gpu", "--devices cpu"),))
    for choice in ("gpu", "all"):
        with pytest.raises(UsageError, match="needs a GPU"):
            plan_legs(choice, ())
    with pytest.raises(UsageError, match="--devices must be one of"):
        plan_legs("tpu", ())


def test_legs_with_a_gpu():
    both = plan_legs("auto", ("H100",))
    assert both.run == ("cpu", "gpu") and both.scoring == "cpu"
    only = plan_legs("gpu", ("H100",))
    assert only.run == ("gpu",) and only.scoring == "gpu" and only.skipped == (("cpu", "--devices gpu"),)


def test_gpu_slots_are_exclusive():
    with gpu_slot(2) as first, gpu_slot(2) as second:
        assert {first, second} == {0, 1}


def test_disagreements_and_numeric_comparison():
    legs = {"cpu": {"a": "passed", "b": "failed", "c": "passed"}, "gpu": {"a": "passed", "b": "error", "c": "failed"}}
    assert disagreements(legs) == [{"test": "c", "cpu": "passed", "gpu": "failed"}]
    x = np.ones((3, 4), np.float32)
    same = compare_answers([x, {"out": x}], [x + 1e-6, {"out": x}])
    assert same["compared"] == 2 and same["mismatched"] == 0
    off = compare_answers([x], [x * 1.1])
    assert off["mismatched"] == 1 and off["max_abs_diff"] == pytest.approx(0.1, rel=1e-3)
