"""Public specs for `mydense`: run them with `grader check mydense mydense.py`."""
import numpy as np

from grader.spec import assert_close, assert_equal, check, clause, fail, points

# The contract's sentences (ASSIGNMENTS.md) the specs check; hidden specs use the same.
CENTERED = "CenteredLayer: call(X) returns X - tf.reduce_mean(X) (the mean of the whole tensor)"
NO_PARAMETERS = "CenteredLayer has no parameters"
BUILD = ("MyDense.build(input_shape) creates, with add_weight, trainable `weight` (input_shape[-1], units) and "
         "`bias` (units,)")
CALL = "MyDense: call(X) returns relu(X @ weight + bias)"
BIAS_ZERO = "MyDense's bias is initialized to zeros"
NORMAL = "MyDense's weight comes from a random normal initializer"


def check_names(attributes, n_in, units):
    """The contract names the parameters: self.weight and self.bias, of the shapes build gives them."""
    __tracebackhide__ = True
    want = {"weight": [n_in, units], "bias": [units]}
    if all(attributes.get(name) == shape for name, shape in want.items()):
        return
    kept = ", ".join(f"self.{name} {tuple(shape)}" for name, shape in attributes.items()) or "none"
    fail(f"MyDense({units}) on {n_in} input features should keep its parameters as self.weight {tuple(want['weight'])} "
         f"and self.bias {tuple(want['bias'])}; the tensors it keeps as attributes are: {kept}.")


@points(1.5)
@clause(CENTERED)
def test_centered_layer_subtracts_the_mean(submission, rng):
    X = rng.normal(2.0, 3.0, size=int(rng.integers(4, 9))).astype(np.float32)
    answer = submission.call("centered", X=X)
    assert_close(answer["output"], X - X.mean(), f"CenteredLayer() on a vector of {X.size} numbers")


@points(1.5)
@clause(BUILD)
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
    check_names(answer["attributes"], n_in, units)


@points(1)
@clause(BUILD)
def test_two_mydense_layers_in_sequential(submission, rng):
    X = rng.random((2, 64), dtype=np.float32)
    answer = submission.call("stacked", X=X)
    assert_equal(answer["output_shape"], [2, 1], "The output shape of Sequential([MyDense(8), MyDense(1)]) "
                 "on a (2, 64) input")
    assert_equal(answer["trainable"], [[64, 8], [8], [8, 1], [1]],
                 "The shapes of the trainable variables of Sequential([MyDense(8), MyDense(1)])")
