"""Public specs for `concat`: run them with `grader check concat concat.py`."""
import numpy as np

from grader.spec import assert_close, assert_shape, clause, dense_weights, points

# The contract's sentences (ASSIGNMENTS.md) the specs check; hidden specs use the same.
CALL = "call(X) returns tf.concat([net1(X), net2(X)], axis), axis=-1 by default"
TRACKED = "net1 and net2 are the block's own sub-networks: their variables are tracked"


@points(1)
@clause(CALL)
def test_output_shape(submission, rng):
    X = rng.random((4, 20), dtype=np.float32)
    out = submission.call("forward", X=X, w1=dense_weights(rng, 20, 3), w2=dense_weights(rng, 20, 5))
    assert_shape(out, (4, 8), "ConcatBlock(Dense(3), Dense(5)) on a (4, 20) input")


@points(1.5)
@clause(CALL)
def test_output_concatenates_both_blocks(submission, rng):
    X = rng.random((3, 10), dtype=np.float32)
    w1, w2 = dense_weights(rng, 10, 4), dense_weights(rng, 10, 2)
    out = submission.call("forward", X=X, w1=w1, w2=w2)
    expected = np.concatenate([X @ w1[0] + w1[1], X @ w2[0] + w2[1]], axis=-1)
    assert_close(out, expected, "The output of ConcatBlock(net1, net2)")
