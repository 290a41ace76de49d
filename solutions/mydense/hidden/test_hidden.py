"""Hidden specs for `mydense` (grader only). Each names the mistake it exists to catch.

The training spec draws problems on which the judge's own float64 simulation of a few full-batch
SGD steps lowers the loss by at least 20%, with every ReLU pre-activation along the simulated path
at least 1e-4 from zero, so float32 rounding (about 1e-6 here) cannot flip a ReLU.

Each test checks one clause of the contract (`clause`). The checks of what MyDense computes and how
its parameters start find the kernel and bias wherever the layer keeps them (the contract's names
`weight` and `bias` are the build check's clause, with the shapes, laziness and trainability): the
output check gives the layer the judge's parameters (into its own variables, or as the attributes
it reads), so a layer built wrongly (no add_weight, a fixed input size, a transposed kernel) costs
only the build clause; a layer without a bias is computed without one there.

test_mydense_weight_is_random_normal: a random normal initializer, whatever its mean and scale (the
contract fixes neither), against a uniform one (Keras' default glorot_uniform, random_uniform). It
draws MyDense(1024) on 256 inputs (262,144 entries; at least 65,536 are judged) and computes the
scale-free ratio R = q95 / q50 of |w - median(w)| (the empirical 95% and 50% quantiles). By the
Dvoretzky-Kiefer-Wolfowitz-Massart inequality, with probability at least 1 - 1e-10 the sample's CDF
is within eps = sqrt(ln(2e10) / (2n)) + 1/n of the true one everywhere (0.0095 for n = 131,072,
0.0135 for n = 65,536); on that event R lies in a band computed from the CDF (the median within eps
of the centre, each quantile within 2 eps): for a normal R >= 2.46 (n >= 65,536; 2.91 without
noise), for Keras' truncated normals (glorot_normal, he_normal, cut at 2 standard deviations: they
count as normal) R >= 2.29, and for any uniform distribution R <= 2.07 (1.90 without noise). The
check accepts R >= 2.2: a correct layer fails with probability below 1e-10 per run, a uniform one
(glorot_uniform, random_uniform, any range) passes with probability below 1e-10, and a constant
weight (no spread) never passes.
"""
import numpy as np

from grader.spec import assert_close, assert_equal, check, clause, dense_weights, fail, points, public_spec

_public = public_spec("mydense")
CENTERED, NO_PARAMETERS, BUILD = _public.CENTERED, _public.NO_PARAMETERS, _public.BUILD
CALL, BIAS_ZERO, NORMAL = _public.CALL, _public.BIAS_ZERO, _public.NORMAL
NORMAL_RATIO, MIN_JUDGED = 2.2, 65536


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
@clause(CENTERED)
def test_centered_uses_the_mean_of_the_whole_tensor(submission, rng):
    """Catches: a per-row (or per-column) mean instead of the mean of the whole tensor."""
    for shape in [(3, 5), (2, 3, 4)]:
        X = rng.normal(1.0, 2.0, size=shape).astype(np.float32)
        X += np.arange(shape[0], dtype=np.float32).reshape((-1,) + (1,) * (len(shape) - 1)) * 3
        answer = submission.call("centered", X=X)
        assert_close(answer["output"], X - X.mean(), f"CenteredLayer() on a {shape} input")


@points(0.5)
@clause(NO_PARAMETERS)
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
@clause(CALL)
def test_mydense_output_is_relu_of_affine(submission, rng):
    """Catches: a missing ReLU, a bias never added, the wrong operation. The layer computes with the
    judge's kernel and bias, wherever it keeps them: how it builds them is BUILD's clause."""
    batch, n_in, units = int(rng.integers(3, 7)), int(rng.integers(3, 12)), int(rng.integers(2, 9))
    while units == n_in:
        units = int(rng.integers(2, 9))
    X, W, b = relu_problem(rng, batch, n_in, units)
    answer = submission.call("dense_forward", X=X, W=W, b=b)
    check(bool(answer["has_weight"]), f"MyDense({units}) on {n_in} input features has no 2-D kernel the grader "
          "could find (an attribute such as self.weight, or a variable made with add_weight).")
    expected = relu(X @ W + b) if answer["has_bias"] else relu(X @ W)
    assert_close(answer["output"], expected, f"MyDense({units}) with its kernel and bias set by the grader")


@points(0.5)
@clause(BIAS_ZERO)
def test_mydense_bias_starts_at_zero(submission, rng):
    """Catches: a non-zero initial bias (ones, or Keras' default glorot_uniform when no initializer is
    given). A layer without a bias has nothing to judge here: that is BUILD's clause."""
    X = rng.normal(size=(2, 40)).astype(np.float32)
    answer = submission.call("dense_initial", units=25, X=X)
    bias = answer["bias"]
    if bias is None:  # no bias at all is BUILD's clause; no parameters at all leaves nothing to check
        check(answer["weight"] is not None, "MyDense(25) has no parameters after a call on a (2, 40) input, so "
              "there is no bias to look at: create weight and bias in build() with self.add_weight.")
        return
    nonzero = int(np.count_nonzero(np.asarray(bias)))
    check(nonzero == 0, f"{nonzero} of the {np.size(bias)} entries of MyDense(25)'s bias are not 0 before any "
          "training; the bias should start at zero (initializer=\"zeros\").")


def spread_ratio(values):
    """q95 / q50 of |w - median(w)|, the empirical quantiles taken conservatively (the k-th smallest
    with k = ceil(p n)); None when half the entries or more equal the median (no spread)."""
    x = np.asarray(values, dtype=np.float64).ravel()
    d = np.sort(np.abs(x - np.median(x)))
    n = d.size
    q50, q95 = d[int(np.ceil(0.5 * n)) - 1], d[int(np.ceil(0.95 * n)) - 1]
    return None if q50 == 0 else float(q95 / q50)


@points(0.5)
@clause(NORMAL)
def test_mydense_weight_is_random_normal(submission, rng):
    """Catches: a uniform initializer (Keras' default glorot_uniform when add_weight gets none,
    random_uniform) or a constant one. See the module docstring for the statistics."""
    X = rng.normal(size=(2, 256)).astype(np.float32)
    weight = submission.call("dense_initial", units=1024, X=X)["weight"]
    check(weight is not None, "MyDense(1024) has no 2-D kernel the grader could find to look at.")
    values = np.asarray(weight, dtype=np.float64)
    check(values.size >= MIN_JUDGED and bool(np.isfinite(values).all()), f"The kernel of MyDense(1024) on 256 "
          f"inputs has {values.size} entries (or some that are not finite): too few to judge how it starts.")
    ratio = spread_ratio(values)
    check(ratio is not None, "The kernel of MyDense starts constant (most entries equal); it should start "
          "random, drawn from a normal distribution (tf.random_normal_initializer()).")
    check(ratio >= NORMAL_RATIO, "The kernel of MyDense starts with values spread evenly over a range, as a "
          "uniform initializer draws them (Keras' default, glorot_uniform, when add_weight gets no initializer); "
          "it should come from a random normal initializer (tf.random_normal_initializer()).")


@points(1)
@clause(BUILD)
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
@clause(BUILD)
def test_mydense_trains(submission, rng):
    """Catches: weights Keras cannot train (not trainable, not tracked) or a call that breaks in fit().
    Only that the loss falls: the values of the layer's output are test_mydense_output_is_relu_of_affine's
    clause. The judge's weights go into each layer's trainable variables by rank, whatever their names.
    On the problems drawn, exact SGD lowers the loss by at least 20% (training_problem), and float32
    rounding cannot undo that, so a correct layer always passes."""
    epochs, lr = 8, 0.1
    X, y, weights, _ = training_problem(rng, epochs, lr)
    answer = submission.call("train", X=X, y=y, weights=[list(w) for w in weights], epochs=epochs,
                             learning_rate=lr)
    if answer["losses"] is None:
        shapes = "; ".join(f"{'first' if i == 0 else 'second'}: {[tuple(s) for s in t] or 'none'}"
                           for i, t in enumerate(answer["trainable"]))
        fail("In Sequential([MyDense(8), MyDense(1)]) a MyDense layer has no trainable kernel, so fit() cannot "
             f"train it (trainable variables, {shapes}): create weight and bias with self.add_weight, which makes "
             "them trainable unless it is given trainable=False.")
    losses = np.asarray(answer["losses"], dtype=np.float64)
    assert_equal(losses.shape, (epochs,), "The number of per-epoch losses from fit()")
    check(bool(np.isfinite(losses).all() and losses[-1] < 0.9 * losses[0]),
          "Sequential([MyDense(8), MyDense(1)]) did not learn: its loss did not fall under fit() with SGD "
          "(by at least 10% in 8 steps), though its trainable variables were given weights on which it does.")
