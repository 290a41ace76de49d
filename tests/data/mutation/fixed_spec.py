"""The fix for the weak public spec of `scale`: random inputs, so adding 2 is not doubling."""
import numpy as np

from grader.spec import assert_close, points


@points(1)
def test_doubles_random_inputs(submission, rng):
    X = rng.uniform(-3, 3, size=(4, 5)).astype(np.float32)
    assert_close(submission.call("forward", X=X), X * 2, "Scale() on a random (4, 5) input")
