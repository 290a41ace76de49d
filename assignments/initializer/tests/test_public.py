"""Public specs for `initializer`: run them with `grader check initializer initializer.py`."""
import numpy as np

from grader.spec import assert_close, assert_equal, check, dense_weights, fail, points


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


def relu_problem(rng):
    """Inputs (6, 2, 5) of both signs and weights for Dense(4) -> Dense(1) on which the ReLU shows:
    every hidden unit is below -0.5 on some row and above 0.5 on another, no pre-activation is within
    1e-3 of 0 (float32 rounding cannot flip a unit), and on some row the output without the ReLU differs
    from the output with it by more than 0.5. Sizes 6, 10, 4 and 1 differ, so no two axes coincide.
    About 60% of draws qualify (at most 10 tries in 2,000 runs measured), so 1000 tries never run out."""
    for _ in range(1000):
        X = rng.normal(size=(6, 2, 5)).astype(np.float32)
        weights = [dense_weights(rng, 10, 4), dense_weights(rng, 4, 1)]
        z = X.reshape(6, 10).astype(np.float64) @ weights[0][0] + weights[0][1]
        gap = np.abs(np.minimum(z, 0) @ weights[1][0])
        if (z.min(0) < -0.5).all() and (z.max(0) > 0.5).all() and np.abs(z).min() > 1e-3 and gap.max() > 0.5:
            return X, weights
    raise RuntimeError("internal: no input found on which the ReLU shows")


@points(1.5)
def test_build_net_layers_and_output(submission, rng):
    X, weights = relu_problem(rng)
    check_structure(submission.call("net_structure", X=X))
    out = submission.call("net_forward", X=X, weights=weights)
    hidden_layer = relu(X.reshape(6, 10) @ weights[0][0] + weights[0][1])
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
