"""Public specs for `tying`: run them with `grader check tying tying.py`.

Expected values come from the grader's own NumPy computation of the tied net (float64) on
inputs and weights drawn per run; inputs are redrawn until no ReLU sits within 1e-4 of its
kink, so float32 rounding cannot change which units are active.
"""
import numpy as np

from grader.spec import assert_close, assert_equal, check, clause, points

# The contract's sentences (ASSIGNMENTS.md) the specs check; hidden specs use the same.
BUILD = ("build_tied_net(units=4) returns Sequential([Flatten(), shared, shared, Dense(1)]), shared = "
         "Dense(units, relu) one object used twice")
GRADIENT = ("shared_gradient(net, X, y) returns, as a NumPy array, the gradient of the MSE with respect to the "
            "shared kernel (the sum of both uses' contributions)")
TRAINING = ("train_tied(net, X, y, epochs, learning_rate) trains net in place with plain SGD on the MSE, one "
            "full-batch step per epoch, and returns the per-epoch losses")
DEFAULTS = "train_tied's defaults are epochs=5, learning_rate=0.01"


def relu(x):
    return np.maximum(x, 0)


def forward(X, w_shared, w_out):
    """The tied net in float64: output and the intermediate values (input, pre-activations, activations)."""
    x = X.reshape(len(X), -1).astype(np.float64)
    (W, b), (V, c) = w_shared, w_out
    z1 = x @ W + b
    h1 = relu(z1)
    z2 = h1 @ W + b
    h2 = relu(z2)
    return h2 @ V + c, (x, z1, h1, z2, h2)


def gradients(X, y, w_shared, w_out):
    """MSE loss, its gradients (the shared kernel's split by use too) and the smallest |pre-activation|."""
    out, (x, z1, h1, z2, h2) = forward(X, w_shared, w_out)
    (W, b), (V, c) = w_shared, w_out
    d_out = 2 * (out - y) / out.size
    d_z2 = (d_out @ V.T) * (z2 > 0)
    d_z1 = (d_z2 @ W.T) * (z1 > 0)
    first, second = x.T @ d_z1, h1.T @ d_z2
    grads = {"W": first + second, "first": first, "second": second, "b": d_z1.sum(0) + d_z2.sum(0),
             "V": h2.T @ d_out, "c": d_out.sum(0)}
    margin = float(min(np.abs(z1).min(), np.abs(z2).min()))
    return float(np.mean((out - y) ** 2)), grads, margin


def simulate(X, y, w_shared, w_out, epochs, lr):
    """Full-batch plain SGD, one step per epoch: per-epoch losses (before each step), final weights,
    and the smallest |pre-activation| met on the way."""
    (W, b), (V, c) = [[np.float64(a) for a in w] for w in (w_shared, w_out)]
    losses, margin = [], np.inf
    for _ in range(epochs):
        loss, g, m = gradients(X, y, (W, b), (V, c))
        losses.append(loss)
        margin = min(margin, m)
        W, b, V, c = W - lr * g["W"], b - lr * g["b"], V - lr * g["V"], c - lr * g["c"]
    return np.array(losses), ((W, b), (V, c)), margin


def tied_problem(rng, units, batch, epochs=1, lr=0.0, image=False):
    """Inputs, targets and weights (float32) on which every ReLU is at least 1e-4 from its kink along
    the whole SGD path, the loss falls at every step of that path (so plain SGD at `lr` cannot
    diverge: no NaN for a correct submission), both uses of the shared layer contribute to its
    gradient, and the net's output is below -0.5 on some row (so a ReLU on the output layer always
    shows). Weights are scaled by 1/sqrt(units) so the net's gain stays near 1; about 40% of draws
    qualify (at most 22 tries in 10,500 problems measured), so 200 tries never run out."""
    for _ in range(200):
        shape = (batch, 2, units // 2) if image and units % 2 == 0 else (batch, units)
        X = rng.normal(size=shape).astype(np.float32)
        W = (rng.normal(size=(units, units)) / np.sqrt(units) * 0.7 + 0.6 / units).astype(np.float32)
        b = rng.normal(0.1, 0.2, size=units).astype(np.float32)
        V = (rng.normal(size=(units, 1)) / np.sqrt(units)).astype(np.float32)
        c = rng.normal(size=1).astype(np.float32)
        y = rng.normal(size=(batch, 1)).astype(np.float32)
        w_shared, w_out = [W, b], [V, c]
        _, g, _ = gradients(X, y, w_shared, w_out)
        losses, _, margin = simulate(X, y, w_shared, w_out, max(epochs, 1), lr)
        falls = bool(np.all(np.isfinite(losses))) and (lr == 0 or bool(np.all(np.diff(losses) < 0)))
        size = np.linalg.norm(g["W"])
        negative = forward(X, w_shared, w_out)[0].min() < -0.5
        if (falls and negative and margin > 1e-4
                and min(np.linalg.norm(g["first"]), np.linalg.norm(g["second"])) > 0.2 * size > 0):
            return X, y, w_shared, w_out
    raise RuntimeError("internal: no well-conditioned problem found")


def check_structure(answer, units):
    assert_equal(answer["classes"], ["Flatten", "Dense", "Dense", "Dense"],
                 f"The layer types of build_tied_net({units}) (as listed by net.layers)")


@points(1.5)
@clause(BUILD)
def test_tied_net_output(submission, rng):
    X, _, w_shared, w_out = tied_problem(rng, 4, int(rng.choice([3, 5, 6])), image=True)  # batch is never 4
    answer = submission.call("tied_forward", X=X, w_shared=w_shared, w_out=w_out)
    check_structure(answer, 4)
    expected, _ = forward(X, w_shared, w_out)
    assert_close(answer["output"], expected, "The output of build_tied_net() with the shared layer's weights set "
                 "through net.layers[1] (its second use should see them too)")


@points(2)
@clause(GRADIENT)
def test_shared_gradient_sums_both_uses(submission, rng):
    X, y, w_shared, w_out = tied_problem(rng, 4, int(rng.integers(5, 10)))
    answer = submission.call("gradient", X=X, y=y, w_shared=w_shared, w_out=w_out)
    _, g, _ = gradients(X, y, w_shared, w_out)
    check(answer["value"] is not None, "shared_gradient returned None: is the loss computed inside the "
          "GradientTape, and do you ask for the gradient of the shared kernel?")
    assert_close(answer["value"], g["W"], "shared_gradient(net, X, y)", rtol=1e-3, atol=1e-5)


@points(1.5)
@clause(TRAINING)
def test_train_tied_losses(submission, rng):
    epochs, lr = 6, 0.05
    X, y, w_shared, w_out = tied_problem(rng, 4, 10, epochs, lr)
    answer = submission.call("train", X=X, y=y, w_shared=w_shared, w_out=w_out, epochs=epochs, learning_rate=lr)
    check(answer["losses"] is not None, f"train_tied should return a list of per-epoch losses, not a "
          f"{answer['returned']}.")
    expected, _, _ = simulate(X, y, w_shared, w_out, epochs, lr)
    assert_close(answer["losses"], expected, f"The losses returned by train_tied(net, X, y, epochs={epochs}, "
                 f"learning_rate={lr})", rtol=1e-3, atol=1e-6)
