"""Public specs for `initializer`: run them with `grader check initializer initializer.py`."""
import numpy as np

from grader.spec import assert_close, assert_equal, check, clause, dense_weights, example_entry, fail, points

# The contract's sentences (ASSIGNMENTS.md) the specs check; hidden specs use the same.
MYINIT = ("MyInit()(shape, dtype=None) returns a tensor of that shape and dtype (float32 by default): 0 with "
          "probability 1/2, uniform on [5, 10] and on [-10, -5] with probability 1/4 each")
CONFIG = "MyInit().get_config() returns a dict"
BUILD_NET = "build_net() returns Sequential([Flatten(), Dense(4, relu), Dense(1)])"
USES_MYINIT = "build_net()'s first Dense layer is created with kernel_initializer=MyInit()"
EDIT = "edit_params(net) adds 1 to every entry of the kernel of net.layers[1], then sets its entry [0, 0] to 42"
IN_PLACE = "edit_params(net) edits the kernel in place (assigns to the existing variable)"


def relu(x):
    return np.maximum(x, 0)


def check_structure(answer):
    check(isinstance(answer, dict), "build_net() did not produce a model that could be called.")
    assert_equal(answer["classes"], ["Flatten", "Dense", "Dense"], "The layer types of build_net()")
    assert_equal(answer["units"][1:], [4, 1], "The widths of build_net()'s two Dense layers")


@points(1)
@clause(MYINIT)
def test_myinit_returns_the_requested_shape(submission, rng):
    """Two shapes that differ, so a fixed shape can never pass both."""
    rows, cols = int(rng.integers(3, 9)), int(rng.integers(3, 9))
    for shape in ([rows, cols], [rows + 1, cols]):
        answer = submission.call("draw", shape=shape, dtype="float32")
        what = f"MyInit()(({shape[0]}, {shape[1]}), dtype='float32')"
        assert_equal(answer["shape"], shape, f"The shape of {what}")
        assert_equal(answer["dtype"], "float32", f"The dtype of {what}")


def relu_problem(rng):
    """Inputs (6, 2, 5) of both signs and weights for Dense(4) -> Dense(1) on which the ReLU shows, and
    only where it belongs: every hidden unit is below -0.5 on some row and above 0.5 on another, no
    pre-activation is within 1e-3 of 0 (float32 rounding cannot flip a unit), on some row the output
    without the hidden ReLU differs from the output with it by more than 0.5, and on some row the output
    is below -0.5 (so a ReLU on the output layer shows too). Sizes 6, 10, 4 and 1 differ, so no two axes
    coincide. About 49% of draws qualify (at most 14 tries in 2,000 runs measured), so 1000 tries never
    run out."""
    for _ in range(1000):
        X = rng.normal(size=(6, 2, 5)).astype(np.float32)
        weights = [dense_weights(rng, 10, 4), dense_weights(rng, 4, 1)]
        z = X.reshape(6, 10).astype(np.float64) @ weights[0][0] + weights[0][1]
        gap = np.abs(np.minimum(z, 0) @ weights[1][0])
        out = np.maximum(z, 0) @ weights[1][0] + weights[1][1]
        if ((z.min(0) < -0.5).all() and (z.max(0) > 0.5).all() and np.abs(z).min() > 1e-3 and gap.max() > 0.5
                and out.min() < -0.5):
            return X, weights
    raise RuntimeError("internal: no input found on which the ReLU shows")


@points(1.5)
@clause(BUILD_NET)
def test_build_net_layers_and_output(submission, rng):
    X, weights = relu_problem(rng)
    check_structure(submission.call("net_structure", X=X))
    out = submission.call("net_forward", X=X, weights=weights)
    hidden_layer = relu(X.reshape(6, 10) @ weights[0][0] + weights[0][1])
    expected = hidden_layer @ weights[1][0] + weights[1][1]
    assert_close(out, expected, "The output of build_net() (with weights set by the grader)")


def unchanged(got, want, what):
    """The bias of net.layers[1] and the weights of net.layers[2]: edit_params must leave them as they were."""
    __tracebackhide__ = True
    got = np.asarray(got)
    if got.shape != want.shape or not np.array_equal(got, want):
        fail(f"{what} changed in edit_params(net); only the kernel of net.layers[1] should change.",
             example=example_entry(got, want) if got.shape == want.shape else "")


@points(1.5)
@clause(EDIT)
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
    unchanged(answer["bias"], w1[1], "The bias of net.layers[1]")
    unchanged(answer["second_layer"][0], w2[0], "The kernel of net.layers[2]")
    unchanged(answer["second_layer"][1], w2[1], "The bias of net.layers[2]")
