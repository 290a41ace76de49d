"""Hidden specs for `concat` (grader only). Each names the mistake it exists to catch, and the
clause of the contract it checks. A mistake in what `call` returns (the default axis included:
`axis=-1` is the axis `call` concatenates on) costs that clause only: tracking is read on the
sub-nets' own variables whatever `call` computes, and gradients are taken on them directly."""
import numpy as np

from grader.spec import assert_close, check, clause, dense_weights, describe_difference, points, public_spec

_public = public_spec("concat")
CALL, TRACKED = _public.CALL, _public.TRACKED


def _affine(X, w):
    return X @ w[0] + w[1]


def _sizes(rng):
    return int(rng.integers(2, 6)), int(rng.integers(3, 24)), int(rng.integers(1, 7)), int(rng.integers(1, 7))


@points(1)
@clause(CALL)
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
@clause(CALL)
def test_axis_argument_is_used(submission, rng):
    """Catches: ignoring `axis` or hard-coding another one."""
    X = rng.normal(size=(2, 3, 5)).astype(np.float32)
    w1, w2 = dense_weights(rng, 5, 4), dense_weights(rng, 5, 4)
    y1, y2 = _affine(X, w1), _affine(X, w2)
    for axis in (1, 0):
        out = submission.call("forward", X=X, w1=w1, w2=w2, axis=axis)
        assert_close(out, np.concatenate([y1, y2], axis), f"ConcatBlock(..., axis={axis}) on a (2, 3, 5) input")


@points(1)
@clause(CALL)
def test_default_axis_is_last(submission, rng):
    """Catches: a default axis other than -1 (visible on 3-D inputs)."""
    X = rng.normal(size=(2, 4, 6)).astype(np.float32)
    w1, w2 = dense_weights(rng, 6, 3), dense_weights(rng, 6, 3)
    out = submission.call("forward", X=X, w1=w1, w2=w2)
    assert_close(out, np.concatenate([_affine(X, w1), _affine(X, w2)], -1),
                 "ConcatBlock(net1, net2) (no axis given) on a (2, 4, 6) input")


@points(1)
@clause(CALL)
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
@clause(TRACKED)
def test_subnet_variables_are_tracked(submission, rng):
    """Catches: sub-nets kept where Keras cannot see them (a closure, a plain list): their variables
    are not the block's, so fit() would not train them. Read on the sub-nets' own variables, whatever
    call computes."""
    X = rng.normal(size=(2, 6)).astype(np.float32)
    answer = submission.call("trainable", X=X, w1=dense_weights(rng, 6, 3), w2=dense_weights(rng, 6, 4))
    check(isinstance(answer, dict) and isinstance(answer.get("net1"), list), "ConcatBlock.trainable_variables "
          "could not be read.")
    missing = [name for name in ("net1", "net2") if not all(answer[name])]
    check(not missing, f"The variables of {' and '.join(missing)} are not among ConcatBlock's trainable_variables "
          f"(it has {answer['count']}): store net1 and net2 as attributes of the block in __init__ "
          "(self.net1 = net1), after super().__init__().")


@points(1)
@clause(CALL)
def test_gradients_reach_both_subnets(submission, rng):
    """Catches: outputs that do not depend on both nets (one used twice, a stopped gradient). The
    gradients are taken on the sub-nets' own variables: whether the block tracks them is
    test_subnet_variables_are_tracked's clause."""
    X = rng.normal(size=(4, 5)).astype(np.float32)
    w1, w2 = dense_weights(rng, 5, 3), dense_weights(rng, 5, 2)
    G = rng.normal(size=(4, 5)).astype(np.float32)
    answer = submission.call("gradients", X=X, w1=w1, w2=w2, G=G)
    check(answer["grads"] is not None, f"ConcatBlock(Dense(3), Dense(2)) on a (4, 5) input output shape "
          f"{tuple(answer['shape'])}, not (4, 5), so its gradients cannot be those of concatenating both outputs.")
    expected = [X.T @ G[:, :3], G[:, :3].sum(0), X.T @ G[:, 3:], G[:, 3:].sum(0)]
    names = ["net1's kernel", "net1's bias", "net2's kernel", "net2's bias"]
    for name, grad, want in zip(names, answer["grads"], expected):
        check(grad is not None, f"{name} gets no gradient through ConcatBlock: its output should use both "
              "net1(X) and net2(X).")
        kind = describe_difference(grad, want, rtol=1e-4, atol=1e-4)
        check(np.shape(grad) == want.shape and bool(np.allclose(grad, want, atol=1e-4)),
              f"The gradient of {name} through ConcatBlock is not that of concatenating both outputs"
              + (f": {kind}." if kind else "."))


@points(1.5)
@clause(CALL)
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
