"""Public specs for `mydense`: run them with `grader check mydense mydense.py`."""
import numpy as np

from grader.spec import assert_close, assert_equal, check, points


@points(1.5)
def test_centered_layer_subtracts_the_mean(submission, rng):
    X = rng.normal(2.0, 3.0, size=int(rng.integers(4, 9))).astype(np.float32)
    answer = submission.call("centered", X=X)
    assert_close(answer["output"], X - X.mean(), f"CenteredLayer() on a vector of {X.size} numbers")


@points(1.5)
def test_mydense_weights_are_built_on_first_call(submission, rng):
    batch, n_in, units = int(rng.integers(2, 6)), int(rng.integers(9, 30)), int(rng.integers(2, 9))  # n_in > units
    X = rng.normal(size=(batch, n_in)).astype(np.float32)
    answer = submission.call("dense_build", units=units, X=X)
    check(answer["before"] == [], f"MyDense({units}) should have no weights before its first call (build "
          f"creates them once the input size is known), but it already had {len(answer['before'])}.")
    assert_equal(sorted(answer["after"], key=len, reverse=True), [[n_in, units], [units]],
                 f"The weight shapes of MyDense({units}) after a call on a ({batch}, {n_in}) input")
    assert_equal(answer["output_shape"], [batch, units],
                 f"The output shape of MyDense({units}) on a ({batch}, {n_in}) input")


@points(1)
def test_two_mydense_layers_in_sequential(submission, rng):
    X = rng.random((2, 64), dtype=np.float32)
    answer = submission.call("stacked", X=X)
    assert_equal(answer["output_shape"], [2, 1], "The output shape of Sequential([MyDense(8), MyDense(1)]) "
                 "on a (2, 64) input")
    assert_equal(answer["trainable"], [[64, 8], [8], [8, 1], [1]],
                 "The shapes of the trainable variables of Sequential([MyDense(8), MyDense(1)])")
