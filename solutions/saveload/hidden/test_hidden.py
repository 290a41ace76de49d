"""Hidden specs for `saveload` (grader only). Each names the mistake it exists to catch, and the clause
of the contract it checks: the parameters' round trip is judged on the MLP as the submission defines it,
so a mistake in MLP costs only the MLP test."""
import numpy as np

from grader.spec import check, clause, dense_weights, fail, points, public_spec

_public = public_spec("saveload")
TENSORS, NOT_PICKLED, LOADED_TYPES, PARAMS = _public.TENSORS, _public.NOT_PICKLED, _public.LOADED_TYPES, _public.PARAMS


def _mlp_weights(rng, n_in):
    return dense_weights(rng, n_in, 256) + dense_weights(rng, 256, 10)


def _mixed_tensors(rng):
    """Arrays of many dtypes and ranks (a scalar included), some passed as tf.Tensor."""
    names = ["counts", "index", "values", "mask", "pixels", "scale", "grid"]
    arrays = [
        rng.integers(-1000, 1000, size=(5,)).astype(np.int32),
        rng.integers(-2**40, 2**40, size=(2, 3)).astype(np.int64),
        rng.normal(size=(3, 2)).astype(np.float64),
        rng.random(6) < 0.5,
        rng.integers(0, 256, size=(2, 4, 4)).astype(np.uint8),
        np.array(rng.normal(), dtype=np.float32),
        rng.normal(size=(2, 2, 3)).astype(np.float32),
    ]
    as_tensor = [True, False, True, False, False, True, False]
    return names, arrays, as_tensor


def _check_loaded(loaded, names, arrays, what):
    __tracebackhide__ = True
    check(isinstance(loaded, dict) and isinstance(loaded.get("names"), list),
          f"load_tensors on {what} did not return anything readable.")
    got = dict(zip(loaded["names"], loaded["arrays"]))
    check(sorted(got) == sorted(names),
          f"load_tensors on {what} returned the names {sorted(got)}, but {sorted(names)} were saved there.")
    for name, array in zip(names, arrays):
        value = got[name]
        check(isinstance(value, np.ndarray), f"The tensor {name!r} read back from {what} is not an array of numbers.")
        check(value.dtype == array.dtype,
              f"The tensor {name!r} was saved as {array.dtype} but read back as {value.dtype}: "
              "dtypes must survive the round trip (an int32 tensor stays int32).")
        check(value.shape == array.shape,
              f"The tensor {name!r} was saved with shape {array.shape} but read back with shape {value.shape}.")
        check(bool(np.array_equal(value, array)),
              f"The tensor {name!r} read back from {what} has different values from the one saved.")


@points(1.5)
@clause(TENSORS)
def test_dtypes_shapes_and_names_survive_in_separate_files(submission, rng):
    """Catches: dtypes lost (int32 read back as float), scalars or ranks lost, a path that is ignored."""
    names, arrays, as_tensor = _mixed_tensors(rng)
    tag = rng.integers(10**6)
    first, second = f"mixed_{tag}.npz", f"other_{tag}.npz"
    other_names, other_arrays = ["only"], [rng.normal(size=(3,)).astype(np.float32)]
    submission.call("save_tensors", path=first, names=names, arrays=arrays, as_tensor=as_tensor)
    submission.call("save_tensors", path=second, names=other_names, arrays=other_arrays)
    submission.restart()
    _check_loaded(submission.call("load_tensors", path=first), names, arrays, f"{first!r}")
    _check_loaded(submission.call("load_tensors", path=second), other_names, other_arrays,
                  f"{second!r} (a second file saved after {first!r})")


@points(1)
@clause(NOT_PICKLED)
def test_tensor_file_is_not_pickled(submission, rng):
    """Catches: np.save of a dict (a pickled object array), pickle.dump, or np.load(allow_pickle=True) needed."""
    names, arrays, as_tensor = _mixed_tensors(rng)
    path = f"plain_{rng.integers(10**6)}.npz"
    answer = submission.call("save_tensors", path=path, names=names, arrays=arrays, as_tensor=as_tensor)
    files = answer.get("files") if isinstance(answer, dict) else None
    check(isinstance(files, list) and len(files) > 0, f"save_tensors({path!r}, ...) did not write any file.")
    for info in files:
        check(info.get("kind") != "pickle" and info.get("np_load") != "pickled",
              f"save_tensors wrote {info.get('name')!r} with pickled Python objects (np.save of a dict, or the "
              "pickle module, does that). Save each tensor as its own array, for example "
              "np.savez(path, **tensors), so the file reads back with np.load(path, allow_pickle=False).")


@points(0.5)
@clause(LOADED_TYPES)
def test_load_tensors_returns_numpy_arrays_by_name(submission, rng):
    """Catches: tf.Tensor values, non-string keys, the NpzFile itself or a list instead of a dict."""
    names, arrays = ["a", "b"], [rng.normal(size=(2, 2)).astype(np.float32), np.arange(3, dtype=np.int32)]
    path = f"kinds_{rng.integers(10**6)}.npz"
    submission.call("save_tensors", path=path, names=names, arrays=arrays)
    loaded = submission.call("load_tensors", path=path)
    check(loaded["is_dict"], f"load_tensors should return a dict, but returned a {loaded['container']} "
          "(an NpzFile keeps the file open: copy its arrays into a dict).")
    check(all(k == "str" for k in loaded["key_types"]), "The keys of the dict load_tensors returns should be "
          f"the tensors' names as strings, but they are {sorted(set(loaded['key_types']))}.")
    check(all(t == "numpy.ndarray" for t in loaded["types"]), "The values load_tensors returns should be "
          f"np.ndarray, but they are {sorted(set(loaded['types']))}.")


@points(1.5)
@clause(PARAMS)
def test_load_params_builds_for_the_input_shape(submission, rng):
    """Catches: load_params ignoring input_shape (always 20 features), or returning an unloaded model."""
    shape = (int(rng.integers(2, 5)), int(rng.integers(6, 10)))  # never 20 features, the default
    X = rng.normal(size=(4, *shape)).astype(np.float32)
    weights = _mlp_weights(rng, shape[0] * shape[1])
    path = f"shaped_{rng.integers(10**6)}.weights.h5"
    saved = submission.call("save_params", path=path, X=X, weights=weights)
    submission.restart()
    call = f"load_params(path, input_shape={shape})"
    loaded = submission.call("load_params", path=path, X=X, input_shape=list(shape))
    _public.loaded_model(loaded, call, shape[0] * shape[1])
    check(bool(np.array_equal(np.asarray(loaded["output"]), np.asarray(saved["output"]))),
          f"The MLP returned by {call}, in a fresh process, does not give the outputs of the MLP that was saved.")


@points(0.5)
@clause(PARAMS)
def test_load_params_returns_a_loaded_mlp(submission, rng):
    """Catches: returning something other than an MLP, or a model whose variables were created after loading."""
    X = rng.normal(size=(3, 20)).astype(np.float32)
    weights = _mlp_weights(rng, 20)
    path = f"same_{rng.integers(10**6)}.weights.h5"
    answer = submission.call("save_and_load_params", path=path, X=X, weights=weights, input_shape=[20])
    loaded, saved = answer["loaded"], answer["saved"]["weights"]
    if loaded.get("error"):
        _public.loaded_model(loaded, "load_params(path, input_shape=(20,))", 20)
    check(loaded["is_mlp"], f"load_params should return a new MLP, but returned a {loaded['type']}.")
    got = sorted(tuple(np.shape(w)) for w in loaded["weights"])
    want = sorted(tuple(np.shape(w)) for w in saved)
    check(got == want, f"The MLP returned by load_params should already hold the {len(want)} parameters that were "
          f"saved (built for the input shape), but it has parameters of shapes {got}.")
    unmatched = list(saved)
    for w in loaded["weights"]:
        match = [i for i, s in enumerate(unmatched) if np.shape(s) == np.shape(w) and np.array_equal(s, w)]
        check(bool(match), "The parameters of the MLP returned by load_params are not the ones that were saved.")
        unmatched.pop(match[0])
