"""A deliberately weak spec: it only ever feeds 2s, and 2 + 2 == 2 * 2."""
import numpy as np

from grader.spec import assert_close, points


@points(1)
def test_doubles_its_input(submission):
    X = np.full((2, 3), 2.0, dtype=np.float32)
    assert_close(submission.call("forward", X=X), X * 2, "Scale() on a (2, 3) input of 2s")
