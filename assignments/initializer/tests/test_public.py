"""Public specs for `initializer`: run them with `grader check initializer initializer.py`."""
import numpy as np

from grader.spec import assert_close, assert_equal, check, dense_weights, fail, points

ALLOWED = "0, or in [5, 10], or in [-10, -5]"


def allowed(values):
    """True where a value is one MyInit may produce."""
    size = np.abs(values)
    return (values == 0) | ((size >= 5) & (size <= 10))


def relu(x):
    return np.maximum(x, 0)


def check_structure(answer):
    check(isinstance(answer, dict), "build_net() did not produce a model that could be called.")
    assert_equal(answer["classes"], ["Flatten", "Dense", "Dense"], "The layer types of build_net()")
    assert_equal(answer["units"][1:], [4, 1], "The widths of build_net()'s two Dense layers")


@points(1)
def test_myinit_returns_the_requested_shape(submission, rng):
    rows, cols = int(rng.integers(3, 9)), int(rng.integers(3, 9))
    answer = submission.call("draw", shape=[rows, cols], dtype="float32")
    assert_equal(answer["shape"], [rows, cols], f"The shape of MyInit()(({rows}, {cols}), dtype='float32')")
    assert_equal(answer["dtype"], "float32", f"The dtype of MyInit()(({rows}, {cols}), dtype='float32')")
    check(bool(allowed(answer["values"]).all()),
          f"Every entry MyInit returns should be {ALLOWED}; some entries are not.")


@points(1.5)
def test_build_net_layers_and_output(submission, rng):
    X = rng.random((3, 2, 5), dtype=np.float32)
    check_structure(submission.call("net_structure", X=X))
    weights = [dense_weights(rng, 10, 4), dense_weights(rng, 4, 1)]
    out = submission.call("net_forward", X=X, weights=weights)
    hidden_layer = relu(X.reshape(3, 10) @ weights[0][0] + weights[0][1])
    expected = hidden_layer @ weights[1][0] + weights[1][1]
    assert_close(out, expected, "The output of build_net() (with weights set by the grader)")


@points(1.5)
def test_edit_params_adds_one_then_sets_42(submission, rng):
    X = rng.random((2, 4), dtype=np.float32)
    w1, w2 = dense_weights(rng, 4, 4), dense_weights(rng, 4, 1)
    answer = submission.call("edit", X=X, w1=w1, w2=w2)
    expected = w1[0] + 1
    expected[0, 0] = 42
    kernel = np.asarray(answer["kernel"])
    if kernel.shape == expected.shape and kernel[0, 0] == 43:
        fail("The kernel's entry [0, 0] is 43: set it to 42 after adding 1, not before.")
    assert_close(kernel, expected, "The kernel of net.layers[1] after edit_params(net)")
