"""Hidden spec found by mutation analysis (`grader selfcheck --mutate initializer`, issue 11).

Catches: `dtype=None` passed straight on to TensorFlow. Keras always passes a dtype, so the
other specs never see None, but the README asks for None to mean float32.
"""
from grader.spec import assert_equal, points


@points(0.5)
def test_a_dtype_of_none_means_float32(submission):
    answer = submission.call("draw", shape=[4, 3], dtype=None)
    assert_equal(answer["dtype"], "float32", "The dtype of MyInit()((4, 3), dtype=None)")
