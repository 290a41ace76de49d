"""Hidden specs for `tying` (grader only). Each names the mistake it exists to catch.

Expected values come from the judge's own NumPy computation of the tied net (float64) on
inputs and weights drawn per run; inputs are redrawn until no ReLU sits within 1e-4 of its
kink along the whole simulated SGD path, so float32 rounding cannot change which units are
active, and until both uses of the shared layer contribute at least 20% of its gradient.

Each test checks one clause of the contract (`clause`): functions that take a net get the lecture's
own tied net, so a mistake in build_tied_net costs only its clause; train_tied's defaults are
judged by comparing train_tied(net, X, y) with train_tied(net, X, y, epochs=5, learning_rate=0.01),
so a mistake in the training itself (a wrong loss, recording the loss after the update) costs only
the training clause.
"""
import numpy as np

from grader.spec import assert_close, assert_equal, check, clause, fail, points, public_spec


# The numpy reference model is the public spec's (one copy of the maths for both).
_public = public_spec("tying")
relu, forward, gradients = _public.relu, _public.forward, _public.gradients
simulate, tied_problem = _public.simulate, _public.tied_problem
BUILD, GRADIENT, TRAINING, DEFAULTS = _public.BUILD, _public.GRADIENT, _public.TRAINING, _public.DEFAULTS


def close(a, b, rtol=1e-3, atol=1e-5):
    return isinstance(a, np.ndarray) and a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


@points(1)
@clause(BUILD)
def test_one_layer_object_used_twice(submission, rng):
    """Catches: two separate layers with copied weights (an edit to one does not show in the other,
    they diverge in training, and the model has 6 trainable variables instead of 4)."""
    X, y, w_shared, w_out = tied_problem(rng, 4, 6, 3, 0.1)  # 3 SGD steps at 0.1 below: the loss falls
    answer = submission.call("tied_forward", X=X, w_shared=w_shared, w_out=w_out, units=4, via=2)
    assert_equal(answer["classes"], ["Flatten", "Dense", "Dense", "Dense"], "The layer types of build_tied_net()")
    expected, _ = forward(X, w_shared, w_out)
    assert_close(answer["output"], expected, "The output of build_tied_net() after setting the shared weights "
                 "through net.layers[2] (the first use should see them too)")
    assert_equal(answer["trainable"], [[4, 4], [4], [4, 1], [1]],
                 "The shapes of the trainable variables of build_tied_net() (one shared layer, one output layer)")
    check(bool(answer["same_object"]), "net.layers[1] and net.layers[2] should be the very same layer object.")
    moved = submission.call("tied_after_sgd", X=X, y=y, w_shared=w_shared, w_out=w_out, steps=3, learning_rate=0.1)
    first, second = moved["kernels"]
    check(bool(np.array_equal(first, second)), "After a few SGD steps the two uses of the shared layer hold "
          "different kernels: they are not tied.")


@points(1)
@clause(BUILD)
def test_units_argument(submission, rng):
    """Catches: ignoring `units` (a hard-coded Dense(4)). The shared weights are set through both
    uses, so this test does not depend on the tying (test_one_layer_object_used_twice checks that)."""
    units = int(rng.integers(5, 9))
    X, _, w_shared, w_out = tied_problem(rng, units, 3)
    answer = submission.call("tied_forward", X=X, w_shared=w_shared, w_out=w_out, units=units, via=[1, 2])
    shapes = sorted({tuple(s) for s in answer["trainable"]})
    assert_equal(shapes, sorted({(units, units), (units,), (units, 1), (1,)}),
                 f"The shapes of the trainable variables of build_tied_net(units={units})")
    expected, _ = forward(X, w_shared, w_out)
    assert_close(answer["output"], expected, f"The output of build_tied_net(units={units})")


@points(1)
@clause(GRADIENT)
def test_gradient_is_sum_of_both_uses(submission, rng):
    """Catches: the gradient of only one use; a wrong loss (sum, or the d2l 1/2 factor); a tensor
    instead of a NumPy array."""
    units = int(rng.integers(3, 8))
    X, y, w_shared, w_out = tied_problem(rng, units, int(rng.integers(6, 12)))
    answer = submission.call("gradient", X=X, y=y, w_shared=w_shared, w_out=w_out)
    _, g, _ = gradients(X, y, w_shared, w_out)
    got = answer["value"]
    check(got is not None, "shared_gradient returned None.")
    got = np.asarray(got, dtype=np.float64)
    for part in ("first", "second"):
        if close(got, g[part]):
            fail("shared_gradient returned the contribution of only one use of the shared layer; "
                 "the gradient of a tied kernel is the sum over both uses.")
    assert_close(got, g["W"], f"shared_gradient(net, X, y) for a tied Dense({units})", rtol=1e-3, atol=1e-5)
    check(bool(answer["is_numpy"]), "shared_gradient should return a NumPy array (call .numpy() on the tensor).")


@points(1)
@clause(TRAINING)
def test_train_tied_updates_the_tied_weights(submission, rng):
    """Catches: training that unties the layers, or leaves some parameters out of the update."""
    epochs, lr, units = 5, 0.05, int(rng.integers(3, 7))
    X, y, w_shared, w_out = tied_problem(rng, units, 12, epochs, lr)
    answer = submission.call("train", X=X, y=y, w_shared=w_shared, w_out=w_out, epochs=epochs, learning_rate=lr)
    _, (shared, out), _ = simulate(X, y, w_shared, w_out, epochs, lr)
    check(bool(answer["same_object"]), "After train_tied, net.layers[1] and net.layers[2] are no longer the same "
          "layer.")
    names = ["shared kernel", "shared bias", "output kernel", "output bias"]
    for name, got, want in zip(names, answer["shared"] + answer["out"], list(shared) + list(out)):
        assert_close(got, want, f"The {name} after train_tied(net, X, y, epochs={epochs}, learning_rate={lr})",
                     rtol=1e-3, atol=1e-5)
    expected, _ = forward(X, shared, out)
    assert_close(answer["output"], expected, "The output of the net after train_tied", rtol=1e-3, atol=1e-5)


def defaults_problem(rng):
    """A tied_problem on which each of 5 SGD steps at 0.01 moves some weight by more than 1e-4 (so one
    step more or less, or another learning rate, shows far above float32 rounding; the smallest such
    move measured over 500 problems is 7e-4, so the loop never runs out)."""
    for _ in range(100):
        X, y, w_shared, w_out = tied_problem(rng, 4, 8, 5, 0.01)
        (W, b), (V, c) = [[np.float64(a) for a in w] for w in (w_shared, w_out)]
        moves = []
        for _ in range(5):
            _, g, _ = gradients(X, y, (W, b), (V, c))
            moves.append(0.01 * max(np.abs(g["W"]).max(), np.abs(g["V"]).max()))
            W, b, V, c = W - 0.01 * g["W"], b - 0.01 * g["b"], V - 0.01 * g["V"], c - 0.01 * g["c"]
        if min(moves) > 1e-4:
            return X, y, w_shared, w_out
    raise RuntimeError("internal: no problem on which every step moves the weights")


@points(1)
@clause(DEFAULTS)
def test_train_tied_defaults(submission, rng):
    """Catches: wrong defaults (epochs=5, learning_rate=0.01). Judged by comparing train_tied(net, X, y)
    with train_tied(net, X, y, epochs=5, learning_rate=0.01) on two copies of the same net: the same
    losses and the same weights afterwards, whatever train_tied computes (its values are the training
    clause's). Only a train_tied that leaves the net unchanged gives nothing to compare."""
    X, y, w_shared, w_out = defaults_problem(rng)
    answer = submission.call("train_defaults", X=X, y=y, w_shared=w_shared, w_out=w_out)
    default, explicit = answer["default"], answer["explicit"]
    explicit_call = "train_tied(net, X, y, epochs=5, learning_rate=0.01)"
    check(bool(explicit["moved"]), f"{explicit_call} left the net's weights as they were, so its defaults cannot "
          "be compared with it: train the net in place.")
    if default["losses"] is not None and explicit["losses"] is not None:
        check(len(default["losses"]) == len(explicit["losses"]), f"train_tied(net, X, y) returned "
              f"{len(default['losses'])} losses and {explicit_call} {len(explicit['losses'])}: epochs should "
              "default to 5.")
    same = all(bool(np.allclose(a, b, rtol=1e-5, atol=1e-7)) for a, b in zip(default["weights"], explicit["weights"]))
    check(same, f"train_tied(net, X, y) trains the net differently from {explicit_call}: the defaults should be "
          "epochs=5 and learning_rate=0.01.")
    if default["losses"] is not None and explicit["losses"] is not None:
        check(bool(np.allclose(default["losses"], explicit["losses"], rtol=1e-5, atol=1e-7)),
              f"train_tied(net, X, y) returns different losses from {explicit_call}: the defaults should be "
              "epochs=5 and learning_rate=0.01.")
