"""Public specs for `saveload`: run them with `grader check saveload saveload.py`.

Each round trip saves in one Python process and loads in a fresh one: only what
went through the file can come back.
"""
import numpy as np

from grader.spec import assert_close, check, dense_weights, fail, points


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


def check_mlp_shapes(shapes, n_in):
    __tracebackhide__ = True
    expected = [[n_in, 256], [256], [256, 10], [10]]
    check(sorted(map(tuple, shapes)) == sorted(map(tuple, expected)),
          f"An MLP called on inputs with {n_in} features should have parameters of shapes {expected} "
          f"(Flatten, Dense(256), Dense(10)), but it has {shapes}.")


@points(2)
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
def test_mlp_computes_flatten_dense_relu_dense(submission, rng):
    X = rng.normal(size=(5, 20)).astype(np.float32)
    weights = mlp_weights(rng, 20)
    answer = submission.call("mlp_forward", X=X, weights=weights)
    check_mlp_shapes(answer["shapes"], 20)
    assert_close(answer["output"], mlp_numpy(X, weights), "MLP()(X) for a (5, 20) input", rtol=1e-4, atol=1e-4)


@points(2)
def test_params_round_trip_in_a_fresh_process(submission, rng):
    X = rng.normal(size=(6, 20)).astype(np.float32)
    weights = mlp_weights(rng, 20)
    path = f"mlp_{rng.integers(10**6)}.weights.h5"
    saved = submission.call("save_params", path=path, X=X, weights=weights)
    check_mlp_shapes(saved["shapes"], 20)
    submission.restart()
    loaded = submission.call("load_params", path=path, X=X)
    check(len(loaded["weights"]) > 0, "load_params(path) returned a model without parameters: call the new MLP "
          "on an input of the right shape (which creates its variables) before loading the weights into it.")
    if loaded["output"] is None:
        fail(f"load_params(path) returned a {loaded['type']}, not an MLP that can be called.")
    check(bool(np.array_equal(np.asarray(loaded["output"]), np.asarray(saved["output"]))),
          "The MLP returned by load_params, run in a fresh Python process, gives outputs different from the "
          "MLP that was saved: its parameters were not all loaded from the file.")
