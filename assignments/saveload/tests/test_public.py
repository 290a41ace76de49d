"""Public specs for `saveload`: run them with `grader check saveload saveload.py`.

Each round trip saves in one Python process and loads in a fresh one: only what
went through the file can come back.
"""
import numpy as np

from grader.spec import assert_close, check, clause, dense_weights, fail, points

# The contract's sentences (ASSIGNMENTS.md) the specs check; hidden specs use the same.
TENSORS = "load_tensors(path) gives back what save_tensors(path, tensors) wrote: names, shapes, dtypes, values"
NOT_PICKLED = "the tensor file is readable with allow_pickle=False"
LOADED_TYPES = "load_tensors returns a dict of str to np.ndarray"
MLP_CLAUSE = "MLP: Flatten -> Dense(256, relu) -> Dense(10)"
PARAMS = ("save_params(net, path) writes net's parameters; load_params(path, input_shape=(20,)) returns a new MLP "
          "holding them, built for inputs of input_shape")


def mlp_weights(rng, n_in):
    """[kernel, bias, kernel, bias] for Flatten -> Dense(256) -> Dense(10) on n_in features."""
    return dense_weights(rng, n_in, 256) + dense_weights(rng, 256, 10)


def mlp_numpy(X, weights):
    W1, b1, W2, b2 = weights
    hidden = np.maximum(X.reshape(len(X), -1) @ W1 + b1, 0.0)
    return hidden @ W2 + b2


def check_loaded(loaded, names, arrays, what):
    """The dict load_tensors returned holds exactly `names` with these values, bit for bit."""
    __tracebackhide__ = True
    check(isinstance(loaded, dict) and isinstance(loaded.get("names"), list),
          f"load_tensors on {what} did not return anything readable.")
    got = dict(zip(loaded["names"], loaded["arrays"]))
    check(sorted(got) == sorted(names),
          f"load_tensors on {what} returned the names {sorted(got)}, but {sorted(names)} were saved.")
    for name, array in zip(names, arrays):
        value = got[name]
        check(isinstance(value, np.ndarray), f"The tensor {name!r} read back from {what} is not an array of numbers.")
        check(value.shape == array.shape,
              f"The tensor {name!r} was saved with shape {array.shape} but read back with shape {value.shape}.")
        check(value.dtype == array.dtype,
              f"The tensor {name!r} was saved as {array.dtype} but read back as {value.dtype}.")
        check(bool(np.array_equal(value, array)),
              f"The tensor {name!r} read back from {what} has different values from the one saved.")


def mlp_problem(rng, batch, n_in):
    """Inputs and MLP weights on which both ReLUs show where they belong: some hidden pre-activation is
    below -0.5 (a missing hidden ReLU changes the output by more than 0.5 on some entry) and some output
    is below -0.5 (so a ReLU on the output layer shows too). With 256 hidden units of both signs nearly
    every draw qualifies; 100 tries never run out."""
    for _ in range(100):
        X = rng.normal(size=(batch, n_in)).astype(np.float32)
        weights = mlp_weights(rng, n_in)
        z = X.reshape(batch, -1).astype(np.float64) @ weights[0] + weights[1]
        gap = np.abs(np.minimum(z, 0) @ weights[2]).max()
        if z.min() < -0.5 and gap > 0.5 and mlp_numpy(X, weights).min() < -0.5:
            return X, weights
    raise RuntimeError("internal: no input found on which both ReLUs show")


def loaded_model(loaded, call, features):
    """What load_params returned, past the cases where there is no model to compare: an error (said with
    what the new MLP was built for, when that is the cause), no parameters, or something not callable."""
    __tracebackhide__ = True
    error, built = loaded.get("error"), loaded.get("built_for")
    if error and built is not None and built != features:
        fail(f"{call} could not load the saved parameters ({error.split(':')[0]}): they are for inputs with "
             f"{features} features, but the MLP it made was built for inputs with {built}. Build the new MLP "
             "for input_shape, for example net(tf.zeros((1, *input_shape))), before loading the weights.")
    if error and built is None:
        fail(f"{call} could not load the saved parameters ({error.split(':')[0]}): the MLP it made has no "
             "parameters yet. A subclassed model creates them on its first call (not with build()): call it on "
             "an input of input_shape, for example net(tf.zeros((1, *input_shape))), then load the weights.")
    if error:
        fail(f"{call} raised {error.splitlines()[0][:200]}")
    check(len(loaded["weights"]) > 0, f"{call} returned a model without parameters: call the new MLP on an input "
          "of the right shape (which creates its variables) before loading the weights into it.")
    if loaded["output"] is None:
        fail(f"{call} returned a {loaded['type']}, not an MLP that can be called.")


def check_mlp_shapes(shapes, n_in):
    __tracebackhide__ = True
    expected = [[n_in, 256], [256], [256, 10], [10]]
    check(sorted(map(tuple, shapes)) == sorted(map(tuple, expected)),
          f"An MLP called on inputs with {n_in} features should have parameters of shapes {expected} "
          f"(Flatten, Dense(256), Dense(10)), but it has {shapes}.")


@points(2)
@clause(TENSORS)
def test_tensors_round_trip_in_a_fresh_process(submission, rng):
    names = ["x", "weights", "bias"]
    arrays = [rng.normal(size=(4,)).astype(np.float32), rng.normal(size=(3, 5)).astype(np.float32),
              rng.normal(size=(2, 3, 2)).astype(np.float32)]
    path = f"tensors_{rng.integers(10**6)}.npz"
    submission.call("save_tensors", path=path, names=names, arrays=arrays)
    submission.restart()
    loaded = submission.call("load_tensors", path=path)
    check_loaded(loaded, names, arrays, f"the file saved by save_tensors({path!r}, ...)")


@points(1)
@clause(MLP_CLAUSE)
def test_mlp_computes_flatten_dense_relu_dense(submission, rng):
    X, weights = mlp_problem(rng, 5, 20)
    answer = submission.call("mlp_forward", X=X, weights=weights)
    check_mlp_shapes(answer["shapes"], 20)
    assert_close(answer["output"], mlp_numpy(X, weights), "MLP()(X) for a (5, 20) input", rtol=1e-4, atol=1e-4)


@points(2)
@clause(PARAMS)
def test_params_round_trip_in_a_fresh_process(submission, rng):
    """The round trip of the MLP as the submission defines it (given the grader's weights when its
    parameters have the lecture's shapes): what the MLP computes is the MLP test's clause."""
    X = rng.normal(size=(6, 20)).astype(np.float32)
    weights = mlp_weights(rng, 20)
    path = f"mlp_{rng.integers(10**6)}.weights.h5"
    saved = submission.call("save_params", path=path, X=X, weights=weights)
    submission.restart()
    loaded = submission.call("load_params", path=path, X=X)
    loaded_model(loaded, "load_params(path)", 20)
    check(bool(np.array_equal(np.asarray(loaded["output"]), np.asarray(saved["output"]))),
          "The MLP returned by load_params, run in a fresh Python process, gives outputs different from the "
          "MLP that was saved: its parameters were not all loaded from the file.")
