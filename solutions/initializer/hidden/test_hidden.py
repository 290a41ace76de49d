"""Hidden specs for `initializer` (grader only). Each names the mistake it exists to catch.

The statistical specs draw 2**18 = 262,144 entries from MyInit (a fresh draw per call) and
allow a correct MyInit to fail with probability at most 5e-10 per grading run in all:
- three exact binomial checks (the counts of zeros, of entries in [5, 10] and of entries in
  [-10, -5]), each two-sided with false-alarm rate 1e-10, bounds from the exact Bin(n, p) tails
  (widened by 2 counts: on the float32 grid P(|w| < 5) differs from 1/2 by about 1e-7);
- two Dvoretzky-Kiefer-Wolfowitz-Massart checks that the values in [5, 10] and in [-10, -5] are
  uniform there: P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2) = 1e-10 each (eps widened by 1e-4 for
  the float32 grid).
Miss rates (a wrong MyInit that passes anyway), from the same bounds: the zero count is accepted in
[129414, 132730] of 262144 (0.5 +- 0.0063), each quarter count in [64104, 66975] (0.25 +- 0.0055).
A MyInit whose zero probability is off by 0.0128 or more sits 6.6 standard deviations outside that
band, so it passes with probability below 1e-10 (the mutant wrong_proportions, 0.45: 45 standard
deviations, effectively never); a quarter off by 0.0111 or more, likewise below 1e-10. For the
uniformity checks (n >= 64104 per range, eps <= 0.0137): a distribution whose CDF on its range
differs from the uniform one by d >= 2 eps = 0.0274 somewhere passes with probability at most
2 exp(-2 n (d - eps)^2) <= 1e-10 (DKW applied to its own CDF).
The range checks are exact: a correct MyInit never returns anything outside the allowed set, and a
wrong range or no zeroing shows in 262,144 draws with probability 1 - 1e-1000 or more.

Each test checks one clause of the contract (`clause`): one mistake costs one clause.
- A MyInit that ignores `shape` leaves nothing of the requested size to judge its distribution on, so
  all MyInit tests are one clause (the contract's one sentence on what MyInit()(shape, dtype) returns).
- test_build_net_uses_myinit checks what the first Dense layer's initializer is: an instance of the
  submission's MyInit class, however and wherever it was made (in build_net, at module level, as a
  default argument). The probes then hand that layer the judge's own initializer before the net is
  built, so a wrong MyInit costs only the MyInit tests.
- test_edit_params_assigns_in_place judges in-place-ness against whatever values the student's edit
  produced (same variable, the model computing with it), so an edit that computes the wrong values
  (43, or only 42) costs only test_edit_params_adds_one_then_sets_42.
"""
import math

import numpy as np

from grader.spec import assert_close, assert_equal, check, clause, dense_weights, fail, points, public_spec

_public = public_spec("initializer")
MYINIT, CONFIG, USES_MYINIT, IN_PLACE = _public.MYINIT, _public.CONFIG, _public.USES_MYINIT, _public.IN_PLACE

SAMPLE_SHAPE = [512, 512]
ALPHA = 1e-10  # false-alarm rate of each statistical check; five checks in all


def allowed(values):
    size = np.abs(values)
    return (values == 0) | ((size >= 5) & (size <= 10))


def binomial_bounds(n, p, alpha):
    """[lo, hi] with P(K < lo) <= alpha/2 and P(K > hi) <= alpha/2 for K ~ Binomial(n, p), exactly."""
    k = np.arange(n + 1)
    log_fact = np.array([math.lgamma(i + 1.0) for i in range(n + 1)])
    log_pmf = log_fact[n] - log_fact - log_fact[::-1] + k * math.log(p) + (n - k) * math.log1p(-p)
    pmf = np.exp(log_pmf)
    at_most = np.cumsum(pmf)                 # P(K <= k)
    at_least = np.cumsum(pmf[::-1])[::-1]    # P(K >= k)
    lo = int(np.argmax(at_most > alpha / 2))
    hi = int(np.nonzero(at_least > alpha / 2)[0][-1])
    return lo - 2, hi + 2


def cdf_gap(values, low, high):
    """Kolmogorov-Smirnov distance between the sample and U(low, high)."""
    x = np.sort((values - low) / (high - low))
    n = x.size
    steps = np.arange(1, n + 1) / n
    return float(max(np.max(steps - x), np.max(x - (steps - 1 / n))))


def draw_sample(submission):
    answer = submission.call("draw", shape=SAMPLE_SHAPE, dtype="float32")
    assert_equal(answer["shape"], SAMPLE_SHAPE, "The shape of MyInit()((512, 512), dtype='float32')")
    return np.asarray(answer["values"], dtype=np.float64).ravel()


@points(0.5)
@clause(MYINIT)
def test_shape_and_dtype_are_honoured(submission, rng):
    """Catches: ignoring `shape` (a fixed shape) or `dtype` (always float32, or a float32 cast that fails)."""
    shapes = [[int(rng.integers(2, 6)) for _ in range(3)], [int(rng.integers(5, 30))], [3, 4]]
    calls = [[shapes[0], "float32"], [shapes[1], "float64"], [shapes[2], "float64"]]
    for (shape, dtype), answer in zip(calls, submission.call("draw_calls", calls=calls)):
        what = f"MyInit()({tuple(shape)}, dtype='{dtype}')"
        if "error" in answer:
            hint = " (make every tensor in the dtype you are given)" if dtype != "float32" else ""
            fail(f"{what} raised {answer['error']}{hint}.")
        assert_equal(answer["shape"], shape, f"The shape of {what}")
        assert_equal(answer["dtype"], dtype, f"The dtype of {what}")


@points(0.5)
@clause(CONFIG)
def test_get_config_returns_a_dict(submission, rng):
    """Catches: get_config() returning None (or anything but a dict): Keras cannot save the initializer then."""
    assert_equal(submission.call("config"), "dict", "The type of MyInit().get_config()")


@points(0.5)
@clause(MYINIT)
def test_default_dtype_is_float32(submission, rng):
    """Catches: a `dtype` without a default (d2l's `__call__(self, shape, dtype)`), or another default."""
    shape = [int(rng.integers(2, 6)), int(rng.integers(6, 10))]
    answer = submission.call("draw_default", shape=shape)
    what = f"MyInit()({tuple(shape)}) (no dtype given)"
    if "error" in answer:
        fail(f"{what} raised {answer['error']}; `dtype` should default to None, meaning float32.")
    assert_equal(answer["dtype"], "float32", f"The dtype of {what}")
    assert_equal(answer["shape"], shape, f"The shape of {what}")


@points(1)
@clause(MYINIT)
def test_values_only_in_allowed_ranges(submission, rng):
    """Catches: no zeroing (values in (-5, 5)), a wrong threshold, wrong ranges (beyond [-10, 10])."""
    answer = submission.call("draw", shape=[64, 64, 64], dtype="float32")
    assert_equal(answer["shape"], [64, 64, 64], "The shape of MyInit()((64, 64, 64), dtype='float32')")
    values = np.asarray(answer["values"], dtype=np.float64)
    check(bool(np.isfinite(values).all()), "MyInit returned NaN or infinite values.")
    small = int(((values != 0) & (np.abs(values) < 5)).sum())
    check(small == 0, f"{small} of {values.size} entries are non-zero with |w| < 5; MyInit should zero "
          "every entry with |w| < 5.")
    large = int((np.abs(values) > 10).sum())
    check(large == 0, f"{large} of {values.size} entries have |w| > 10; draw from U(-10, 10).")


@points(1.5)
@clause(MYINIT)
def test_proportions(submission, rng):
    """Catches: wrong proportions (zeros not 1/2, or the signs unbalanced), e.g. only positive values."""
    values = draw_sample(submission)
    n = values.size
    lo, hi = binomial_bounds(n, 0.5, ALPHA)
    zeros = int((values == 0).sum())
    check(lo <= zeros <= hi, f"{zeros / n:.2%} of a large sample from MyInit are zero; about 50% should be "
          "(far outside what chance allows).")
    lo, hi = binomial_bounds(n, 0.25, ALPHA)
    for name, count in (("in [5, 10]", int(((values >= 5) & (values <= 10)).sum())),
                        ("in [-10, -5]", int(((values <= -5) & (values >= -10)).sum()))):
        check(lo <= count <= hi, f"{count / n:.2%} of a large sample from MyInit are {name}; about 25% should "
              "be (far outside what chance allows).")


@points(0.5)
@clause(MYINIT)
def test_uniform_within_each_range(submission, rng):
    """Catches: values not uniform on [5, 10] and [-10, -5] (e.g. normal draws, or clipping to the edges).
    A range holding fewer than 1000 of the draws is not judged here (test_proportions catches that)."""
    values = draw_sample(submission)
    for name, part in (("[5, 10]", values[(values >= 5) & (values <= 10)]),
                       ("[-10, -5]", -values[(values <= -5) & (values >= -10)])):
        n = part.size
        if n < 1000:  # how many land in each range is test_proportions' clause, not this one's
            continue
        eps = math.sqrt(math.log(2 / ALPHA) / (2 * n)) + 1e-4
        gap = cdf_gap(part, 5.0, 10.0)
        check(gap <= eps, f"The entries of MyInit in {name} are not uniform there (their distribution is "
              f"{gap:.3f} away from uniform, more than chance allows).")


@points(0.5)
@clause(USES_MYINIT)
def test_build_net_uses_myinit(submission, rng):
    """Catches: build_net() without kernel_initializer=MyInit() on the first Dense layer (Keras then uses
    its default, GlorotUniform). Any instance of the submission's MyInit counts, wherever it was made."""
    X = rng.random((2, 30, 20), dtype=np.float32)
    answer = submission.call("net_structure", X=X)
    found = answer["initializer"]
    default = " (Keras' default: no kernel_initializer was given)" if found == "GlorotUniform" else ""
    check(bool(answer["initializer_is_myinit"]), f"The first Dense layer of build_net() has a {found} as its "
          f"kernel_initializer{default}; it should be an instance of your MyInit (kernel_initializer=MyInit()).")


@points(1)
@clause(IN_PLACE)
def test_edit_params_assigns_in_place(submission, rng):
    """Catches: replacing the kernel variable instead of assigning to it, and edits the model does not
    compute with. Judged against whatever values the edit produced: which values they should be (and
    which layer) is test_edit_params_adds_one_then_sets_42's clause."""
    n_in, units = int(rng.integers(3, 8)), int(rng.integers(2, 7))
    X = rng.normal(size=(3, n_in)).astype(np.float32)
    w1, w2 = dense_weights(rng, n_in, units), dense_weights(rng, units, 1)
    answer = submission.call("edit", X=X, w1=w1, w2=w2)
    check(bool(answer["same_variable"]), "edit_params replaced the kernel variable of net.layers[1] with a new "
          "one; assign to the existing variable instead (variable.assign(...)).")
    kernel = np.asarray(answer["kernel"], dtype=np.float64)
    assert_close(answer["old_variable"], kernel, "The kernel variable the model tracks, after edit_params(net), "
                 "compared with net.layers[1].kernel")
    (bias, (k2, b2)) = np.asarray(answer["bias"], dtype=np.float64), answer["second_layer"]
    out = np.maximum(X @ kernel + bias, 0) @ np.asarray(k2, dtype=np.float64) + np.asarray(b2, dtype=np.float64)
    assert_close(answer["output"], out, "The model's output after edit_params(net) (computed with the kernel "
                 "edit_params left)")
