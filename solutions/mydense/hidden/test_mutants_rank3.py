"""Hidden spec found by mutation analysis (`grader selfcheck --mutate mydense`, issue 11).

Catches: the input size read as `input_shape[1]` instead of `input_shape[-1]`. Both agree on
(batch, features) inputs, which is all the other specs use; on a (batch, steps, features)
input only `[-1]` gives the weight the README asks for, `(input_shape[-1], units)`.
"""
import numpy as np

from grader.spec import assert_equal, points


@points(0.5)
def test_mydense_takes_the_input_size_from_the_last_axis(submission, rng):
    X = rng.random((2, 3, 5), dtype=np.float32)
    answer = submission.call("dense_build", units=4, X=X)
    assert_equal(sorted(answer["after"], key=len, reverse=True), [[5, 4], [4]],
                 "The weight shapes of MyDense(4) after a call on a (2, 3, 5) input")
