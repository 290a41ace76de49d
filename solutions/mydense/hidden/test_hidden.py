"""Hidden specs for `mydense` (grader only). Each names the mistake it exists to catch.

The training spec draws problems on which the judge's own float64 simulation of a few full-batch
SGD steps lowers the loss by at least 20%, with every ReLU pre-activation along the simulated path
at least 1e-4 from zero, so float32 rounding (about 1e-6 here) cannot flip a ReLU.
"""
import numpy as np

from grader.spec import assert_close, assert_equal, check, dense_weights, fail, points


def relu(x):
    return np.maximum(x, 0)


def simulate(X, y, weights, epochs, lr):
    """Per-epoch MSE losses of full-batch SGD on relu(relu(X W1 + b1) W2 + b2), and the smallest
    |pre-activation| met on the way."""
    (W1, b1), (W2, b2) = [(np.float64(w), np.float64(b)) for w, b in weights]
    losses, margin, n = [], np.inf, len(X)
    for _ in range(epochs):
        z1 = X @ W1 + b1
        h = relu(z1)
        z2 = h @ W2 + b2
        out = relu(z2)
        margin = min(margin, float(np.abs(z1).min()), float(np.abs(z2).min()))
        losses.append(float(np.mean((out - y) ** 2)))
        dz2 = 2 * (out - y) / n * (z2 > 0)
        dz1 = (dz2 @ W2.T) * (z1 > 0)
        W1, b1 = W1 - lr * (X.T @ dz1), b1 - lr * dz1.sum(0)
        W2, b2 = W2 - lr * (h.T @ dz2), b2 - lr * dz2.sum(0)
    return np.array(losses), margin


def training_problem(rng, epochs, lr):
    for _ in range(100):
        X = rng.normal(size=(16, 5)).astype(np.float32)
        W1 = (rng.normal(size=(5, 8)) / np.sqrt(5)).astype(np.float32)
        W2 = (np.abs(rng.normal(size=(8, 1))) * 0.3).astype(np.float32)
        weights = [(W1, np.full(8, 0.1, np.float32)), (W2, np.full(1, 0.1, np.float32))]
        y = (relu(X @ rng.normal(size=(5, 1))) + 0.5).astype(np.float32)
        losses, margin = simulate(X, y, weights, epochs, lr)
        if margin > 1e-4 and losses[-1] < 0.8 * losses[0]:
            return X, y, weights, losses
    raise RuntimeError("internal: no well-conditioned training problem found")


def relu_problem(rng, batch, n_in, units):
    """X, W, b on which a missing ReLU or bias shows: some pre-activation is below -0.5 (relu makes it
    0, an error of more than 0.5), some bias entry exceeds 0.5 in size, and no pre-activation is within
    1e-3 of 0 (float32 rounding cannot flip a unit). With batch * units >= 6 normal pre-activations of
    variance n_in + 1 >= 4, most draws qualify; 1000 tries never run out."""
    for _ in range(1000):
        X = rng.normal(size=(batch, n_in)).astype(np.float32)
        W, b = dense_weights(rng, n_in, units)
        z = X.astype(np.float64) @ W + b
        if z.min() < -0.5 and np.abs(b).max() > 0.5 and np.abs(z).min() > 1e-3:
            return X, W, b
    raise RuntimeError("internal: no input found on which the ReLU shows")


@points(1)
def test_centered_uses_the_mean_of_the_whole_tensor(submission, rng):
    """Catches: a per-row (or per-column) mean instead of the mean of the whole tensor."""
    for shape in [(3, 5), (2, 3, 4)]:
        X = rng.normal(1.0, 2.0, size=shape).astype(np.float32)
        X += np.arange(shape[0], dtype=np.float32).reshape((-1,) + (1,) * (len(shape) - 1)) * 3
        answer = submission.call("centered", X=X)
        assert_close(answer["output"], X - X.mean(), f"CenteredLayer() on a {shape} input")


@points(0.5)
def test_centered_has_no_parameters(submission, rng):
    """Catches: parameters (e.g. a learned offset) in CenteredLayer, alone or after a Dense layer.
    (Its output is test_centered_uses_the_mean_of_the_whole_tensor's clause, not this one's.)"""
    X = rng.random((4, 8), dtype=np.float32)
    alone = submission.call("centered", X=X)
    check(alone["variables"] == [], "CenteredLayer should have no parameters, but it created "
          f"{len(alone['variables'])} variable(s).")
    answer = submission.call("centered_in_sequential", X=X, w=dense_weights(rng, 8, 16))
    assert_equal(answer["trainable"], [[8, 16], [16]], "The shapes of the trainable variables of "
                 "Sequential([Dense(16), CenteredLayer()]) (CenteredLayer should add none)")


@points(1.5)
def test_mydense_output_is_relu_of_affine(submission, rng):
    """Catches: a missing ReLU, no bias, a transposed kernel, the wrong operation."""
    batch, n_in, units = int(rng.integers(3, 7)), int(rng.integers(3, 12)), int(rng.integers(2, 9))
    while units == n_in:
        units = int(rng.integers(2, 9))
    X, W, b = relu_problem(rng, batch, n_in, units)
    answer = submission.call("dense_forward", X=X, W=W, b=b)
    if answer["output"] is None:
        got = answer["shapes"]
        check(got != [[n_in, units], [units]] or bool(answer["variables"]), "MyDense's `weight` and `bias` "
              "should be variables created with self.add_weight (they cannot be assigned to).")
        fail(f"MyDense({units}) on {n_in} input features should have `weight` of shape ({n_in}, {units}) and "
             f"`bias` of shape ({units},); it has weight: {got[0]}, bias: {got[1]} (None means missing).")
    assert_close(answer["output"], relu(X @ W + b), f"MyDense({units}) with weight and bias set by the grader")


@points(1)
def test_mydense_initial_values(submission, rng):
    """Catches: a non-zero initial bias; a constant (non-random) initial weight."""
    X = rng.normal(size=(2, 40)).astype(np.float32)
    answer = submission.call("dense_build", units=25, X=X)
    bias, weight = answer["bias"], answer["weight"]
    check(isinstance(bias, np.ndarray) and bias.shape == (25,), "MyDense(25) should have a `bias` of shape (25,).")
    check(bool(np.all(bias == 0)), "The bias of MyDense should start at zero (use a zeros initializer).")
    check(isinstance(weight, np.ndarray) and weight.shape == (40, 25),
          "MyDense(25) on 40 inputs should have a `weight` of shape (40, 25).")
    check(bool(np.isfinite(weight).all()) and float(weight.std()) > 0,
          "The weight of MyDense should start random (a random normal initializer), not constant.")


@points(1)
def test_mydense_is_lazy_for_any_input_size(submission, rng):
    """Catches: weights created in __init__ with a fixed input size instead of in build(); a weight
    sized by input_shape[1] instead of input_shape[-1] (shown by an input with three axes whose middle
    one is never the feature count)."""
    for n_in in (int(rng.integers(2, 6)), int(rng.integers(70, 130))):
        X = rng.normal(size=(3, n_in)).astype(np.float32)
        answer = submission.call("dense_build", units=4, X=X)
        check(answer["before"] == [], "MyDense(4) should have no weights before its first call; create them "
              "in build(), where the input size is known.")
        assert_equal(sorted(answer["after"], key=len, reverse=True), [[n_in, 4], [4]],
                     f"The weight shapes of MyDense(4) after a call on a (3, {n_in}) input")
        check(len(answer["trainable"]) == 2, f"MyDense(4) should have 2 trainable variables (weight and bias), "
              f"but it has {len(answer['trainable'])}; do not pass trainable=False to add_weight.")
    shape = (2, n_in + 3, n_in)
    answer = submission.call("dense_weight_shapes", units=4, X=rng.normal(size=shape).astype(np.float32))
    assert_equal(sorted(answer["after"], key=len, reverse=True), [[n_in, 4], [4]],
                 f"The weight shapes of MyDense(4) after a call on a {shape} input (the features are on its last "
                 "axis: input_shape[-1])")


@points(1)
def test_mydense_trains(submission, rng):
    """Catches: weights Keras cannot train (not trainable, not tracked) or a call that breaks in fit().
    Only that the loss falls: the values of the layer's output are test_mydense_output_is_relu_of_affine's
    clause. On the problems drawn, exact SGD lowers the loss by at least 20% (training_problem), and
    float32 rounding cannot undo that, so a correct layer always passes."""
    epochs, lr = 8, 0.1
    X, y, weights, _ = training_problem(rng, epochs, lr)
    losses = submission.call("train", X=X, y=y, weights=[list(w) for w in weights], epochs=epochs,
                             learning_rate=lr)
    check(losses is not None, "MyDense's `weight` and `bias` should be variables created with self.add_weight, "
          "so that fit() can train them.")
    losses = np.asarray(losses, dtype=np.float64)
    assert_equal(losses.shape, (epochs,), "The number of per-epoch losses from fit()")
    check(bool(np.isfinite(losses).all() and losses[-1] < 0.9 * losses[0]),
          "Sequential([MyDense(8), MyDense(1)]) did not learn: its loss did not fall under fit() with SGD "
          "(by at least 10% in 8 steps). Are `weight` and `bias` trainable, created with add_weight?")
