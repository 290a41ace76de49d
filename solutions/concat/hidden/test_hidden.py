"""Hidden specs for `concat` (grader only). Each names the mistake it exists to catch."""
import numpy as np

from grader.spec import assert_close, check, dense_weights, fail, points


def _affine(X, w):
    return X @ w[0] + w[1]


def _sizes(rng):
    return int(rng.integers(2, 6)), int(rng.integers(3, 24)), int(rng.integers(1, 7)), int(rng.integers(1, 7))


@points(1)
def test_different_widths_and_inputs(submission, rng):
    """Catches: summing or stacking instead of concatenating, one net used twice, chaining."""
    batch, n_in, a, b = _sizes(rng)
    b = a + 1 + int(rng.integers(0, 3))  # widths differ, so stacking or summing cannot fit
    X = rng.normal(size=(batch, n_in)).astype(np.float32)
    w1, w2 = dense_weights(rng, n_in, a), dense_weights(rng, n_in, b)
    out = submission.call("forward", X=X, w1=w1, w2=w2)
    assert_close(out, np.concatenate([_affine(X, w1), _affine(X, w2)], -1),
                 f"ConcatBlock(Dense({a}), Dense({b})) on a ({batch}, {n_in}) input")


@points(1)
def test_axis_argument_is_used(submission, rng):
    """Catches: ignoring `axis` or hard-coding another one."""
    X = rng.normal(size=(2, 3, 5)).astype(np.float32)
    w1, w2 = dense_weights(rng, 5, 4), dense_weights(rng, 5, 4)
    y1, y2 = _affine(X, w1), _affine(X, w2)
    for axis in (1, 0):
        out = submission.call("forward", X=X, w1=w1, w2=w2, axis=axis)
        assert_close(out, np.concatenate([y1, y2], axis), f"ConcatBlock(..., axis={axis}) on a (2, 3, 5) input")


@points(1)
def test_default_axis_is_last(submission, rng):
    """Catches: a default axis other than -1 (visible on 3-D inputs)."""
    X = rng.normal(size=(2, 4, 6)).astype(np.float32)
    w1, w2 = dense_weights(rng, 6, 3), dense_weights(rng, 6, 3)
    out = submission.call("forward", X=X, w1=w1, w2=w2)
    assert_close(out, np.concatenate([_affine(X, w1), _affine(X, w2)], -1),
                 "ConcatBlock(net1, net2) (no axis given) on a (2, 4, 6) input")


@points(1)
def test_lazy_subnets_are_built_by_the_first_call(submission, rng):
    """Catches: sub-nets that are never called on the input, or new layers created in call()."""
    X = rng.normal(size=(3, 7)).astype(np.float32)
    w1, w2 = dense_weights(rng, 7, 2), dense_weights(rng, 7, 5)
    answer = submission.call("lazy_forward", X=X, w1=w1, w2=w2)
    if not isinstance(answer, dict) or not isinstance(answer.get("built"), list):
        fail("ConcatBlock with unbuilt sub-networks did not produce an answer.")
    check(answer["built"] == [True, True], "After the first call, both sub-networks passed to "
          "ConcatBlock should have been built (called on X); at least one was not used.")
    assert_close(answer["output"], np.concatenate([_affine(X, w1), _affine(X, w2)], -1),
                 "The output of ConcatBlock after setting the sub-networks' weights")


@points(1)
def test_subnet_variables_are_tracked(submission, rng):
    """Catches: sub-nets kept where Keras cannot see them (no variables, so no training)."""
    X = rng.normal(size=(2, 6)).astype(np.float32)
    shapes = submission.call("trainable", X=X, w1=dense_weights(rng, 6, 3), w2=dense_weights(rng, 6, 4))
    check(isinstance(shapes, list), "ConcatBlock.trainable_variables could not be read.")
    got = sorted(tuple(s) for s in shapes if isinstance(s, list))
    check(len(shapes) == 4, f"ConcatBlock should have 4 trainable variables (a kernel and a bias for each "
          f"sub-network) but has {len(shapes)}; store net1 and net2 as attributes of the block.")
    check(got == sorted([(6, 3), (3,), (6, 4), (4,)]),
          f"ConcatBlock's trainable variables have shapes {got}, not those of its two sub-networks.")


@points(1)
def test_gradients_reach_both_subnets(submission, rng):
    """Catches: untracked sub-nets, and outputs that do not depend on both nets."""
    X = rng.normal(size=(4, 5)).astype(np.float32)
    w1, w2 = dense_weights(rng, 5, 3), dense_weights(rng, 5, 2)
    G = rng.normal(size=(4, 5)).astype(np.float32)
    grads = submission.call("gradients", X=X, w1=w1, w2=w2, G=G)
    check(isinstance(grads, list) and len(grads) == 4,
          "Gradients should reach all 4 variables of the two sub-networks through ConcatBlock.")
    expected = [X.T @ G[:, :3], G[:, :3].sum(0), X.T @ G[:, 3:], G[:, 3:].sum(0)]
    check(all(g is not None for g in grads), "Some sub-network variables get no gradient through ConcatBlock.")
    unmatched = list(expected)
    for grad in grads:
        match = [i for i, e in enumerate(unmatched) if np.shape(grad) == e.shape and np.allclose(grad, e, atol=1e-4)]
        check(bool(match), "The gradients through ConcatBlock are not those of concatenating both outputs.")
        unmatched.pop(match[0])


@points(1.5)
def test_nests_inside_sequential(submission, rng):
    """Catches: blocks that break when composed with other layers and blocks."""
    X = rng.normal(size=(3, 8)).astype(np.float32)
    w = [dense_weights(rng, 8, 2), dense_weights(rng, 8, 3), dense_weights(rng, 5, 4),
         dense_weights(rng, 4, 1), dense_weights(rng, 4, 2)]
    h = np.concatenate([_affine(X, w[0]), _affine(X, w[1])], -1)
    h = _affine(h, w[2])
    expected = np.concatenate([_affine(h, w[3]), _affine(h, w[4])], -1)
    out = submission.call("nested", X=X, weights=w)
    assert_close(out, expected, "Sequential([ConcatBlock, Dense(4), ConcatBlock]) output")
