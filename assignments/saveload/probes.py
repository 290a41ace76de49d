"""Probes for `saveload`: they run in the worker, call the student's save and load
functions on tensors and weights the judge chose, and report what was written and
what came back, as plain data. They never judge anything.

The judge saves in one worker process and loads in a fresh one (same working
folder), so only what went through the file can come back.
"""
import os
import pickletools

import numpy as np
import tensorflow as tf

_SKIP = {"submission.py"}
_MAX_INSPECT = 8 * 1024 * 1024


# -- what the student's code wrote ---------------------------------------------------------
def _snapshot():
    """Every file under the working folder, with size and modification time."""
    found = {}
    for root, dirs, files in os.walk("."):
        for name in files:
            path = os.path.normpath(os.path.join(root, name))
            if path in _SKIP:
                continue
            try:
                info = os.stat(path)
            except OSError:
                continue
            found[path] = (info.st_size, info.st_mtime_ns)
    return found


def _written(before):
    after = _snapshot()
    return sorted(p for p, stamp in after.items() if before.get(p) != stamp)


def _looks_like_pickle(path):
    """True when the file parses as one pickle stream (parsed with pickletools, never unpickled)."""
    with open(path, "rb") as handle:
        data = handle.read(_MAX_INSPECT + 1)
    if not data or len(data) > _MAX_INSPECT:
        return False
    try:
        last = None
        for opcode, _arg, pos in pickletools.genops(data):
            last = opcode.name, pos
        return last is not None and last[0] == "STOP"
    except Exception:  # noqa: BLE001 - anything that does not parse is not a pickle
        return False


def _np_load_status(path):
    """How np.load(path, allow_pickle=False) fares on a .npy or zip file: 'ok', 'pickled' or 'unreadable'."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                for name in loaded.files:
                    loaded[name]
        return "ok"
    except ValueError as exc:
        text = str(exc)
        return "pickled" if "pickle" in text or "Object arrays" in text else "unreadable"
    except Exception:  # noqa: BLE001
        return "unreadable"


def _inspect(path):
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\x93NUMPY"):
        kind = "npy"
    elif head.startswith(b"PK\x03\x04"):
        kind = "zip"
        try:
            import zipfile

            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
            if any(n.endswith((".pkl", ".pickle")) for n in names):
                kind = "pickle"
        except Exception:  # noqa: BLE001
            pass
    elif head.startswith(b"\x89HDF\r\n\x1a\n"):
        kind = "hdf5"
    elif _looks_like_pickle(path):
        kind = "pickle"
    else:
        kind = "other"
    # np.load treats anything that is neither .npy nor a zip as a pickle, so only ask it about those two.
    status = _np_load_status(path) if kind in ("npy", "zip") else "not a NumPy file"
    return {"name": path, "kind": kind, "np_load": status}


def _report(before):
    return [_inspect(path) for path in _written(before)]


# -- tensors ------------------------------------------------------------------------------------
def save_tensors(sub, path, names, arrays, as_tensor=None):
    """save_tensors(path, {name: array}); entries flagged in `as_tensor` are passed as tf.Tensor."""
    as_tensor = as_tensor or [False] * len(names)
    tensors = {}
    for name, array, wrap in zip(names, arrays, as_tensor):
        tensors[str(name)] = tf.constant(array) if wrap else np.array(array)
    before = _snapshot()
    sub.save_tensors(path, tensors)
    return {"files": _report(before)}


def _describe_value(value):
    kind = f"{type(value).__module__}.{type(value).__name__}"
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001
        return kind, None
    if array.dtype.hasobject:
        return kind, None
    return kind, array


def load_tensors(sub, path):
    """load_tensors(path): the container's type, each key (as text), value type and value."""
    result = sub.load_tensors(path)
    answer = {"container": type(result).__name__, "is_dict": isinstance(result, dict),
              "names": [], "key_types": [], "types": [], "arrays": []}
    if not hasattr(result, "items"):
        return answer
    for key, value in result.items():
        kind, array = _describe_value(value)
        answer["names"].append(str(key))
        answer["key_types"].append(type(key).__name__)
        answer["types"].append(kind)
        answer["arrays"].append(array)
    return answer


# -- parameters -------------------------------------------------------------------------------
def _shapes(net):
    return [[int(d) for d in v.shape] for v in net.weights]


def _assign_by_shape(net, weights):
    """Give each of the net's variables the judge's weight of the same shape (shapes are distinct)."""
    by_shape = {tuple(w.shape): w for w in weights}
    shapes = [tuple(s) for s in _shapes(net)]
    if sorted(shapes) != sorted(by_shape):
        return False
    for variable in net.weights:
        variable.assign(by_shape[tuple(int(d) for d in variable.shape)])
    return True


def _net_with_weights(sub, X, weights):
    net = sub.MLP()
    net(tf.constant(X))
    return net, _assign_by_shape(net, weights)


def mlp_forward(sub, X, weights):
    """MLP() called on X, then given the judge's weights by shape: its parameter shapes and output."""
    net, assigned = _net_with_weights(sub, X, weights)
    return {"shapes": _shapes(net), "output": net(tf.constant(X)) if assigned else None}


def save_params(sub, path, X, weights):
    """An MLP holding the judge's weights (or, when its parameters have other shapes, its own: the
    round trip is judged whatever the MLP is), its output on X, then save_params(net, path)."""
    net, assigned = _net_with_weights(sub, X, weights)
    saved = [np.asarray(v.numpy()) for v in net.weights]
    output = net(tf.constant(X))
    before = _snapshot()
    sub.save_params(net, path)
    return {"shapes": _shapes(net), "assigned": assigned, "weights": saved, "output": output,
            "files": _report(before)}


class _Made:
    """Records every MLP created while it is active (load_params builds its own), to say afterwards
    what it was built for; the class is put back as it was."""

    def __init__(self, cls):
        self.cls, self.nets = cls, []

    def __enter__(self):
        original, nets = self.cls.__init__, self.nets

        def init(net, *args, **kwargs):
            nets.append(net)
            original(net, *args, **kwargs)

        self.original = original
        self.cls.__init__ = init
        return self

    def __exit__(self, *exc):
        self.cls.__init__ = self.original
        return False

    def built_for(self):
        """The input features of the first 2-D parameter of the last MLP made (None if it has none)."""
        for net in reversed(self.nets):
            kernels = [v for v in getattr(net, "weights", []) if len(v.shape) == 2]
            if kernels:
                return int(kernels[0].shape[0])
        return None


def load_params(sub, path, X, input_shape=None):
    """load_params(path[, input_shape]): what it returned, its parameters before any call, its output on
    X; or, when it raised, the error and how many input features the MLP it made was built for."""
    kwargs = {} if input_shape is None else {"input_shape": tuple(int(d) for d in input_shape)}
    with _Made(sub.MLP) as made:
        try:
            net = sub.load_params(path, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the judge says what the MLP was built for
            return {"error": f"{type(exc).__name__}: {exc}"[:300], "built_for": made.built_for(),
                    "is_mlp": False, "type": None, "weights": [], "output": None}
    answer = {"error": None, "is_mlp": isinstance(net, sub.MLP), "type": type(net).__name__,
              "weights": [], "output": None}
    if not hasattr(net, "weights") or not callable(net):
        return answer
    answer["weights"] = [np.asarray(v.numpy()) for v in net.weights]
    answer["output"] = net(tf.constant(X))
    return answer


def save_and_load_params(sub, path, X, weights, input_shape):
    """save_params then load_params in the same process (no restart): what was saved and what came back."""
    return {"saved": save_params(sub, path, X, weights), "loaded": load_params(sub, path, X, input_shape)}
