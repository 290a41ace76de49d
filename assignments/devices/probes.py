"""Probes for `devices`: they run in the worker, call the student's functions and describe
what came back as plain data, next to the devices TensorFlow really sees. They never judge."""
import contextlib
import inspect

import numpy as np
import tensorflow as tf


def _visible():
    """The devices of this process: the physical GPU count and the logical CPU names."""
    return {
        "gpu_count": len(tf.config.list_physical_devices("GPU")),
        "cpu_devices": [d.name for d in tf.config.list_logical_devices("CPU")],
    }


def _device_spec(name):
    """The device TensorFlow maps a name to, as [device_type, index] ('/device:GPU:1', 'gpu:1' and
    '/GPU:1' are all ['GPU', 1]; no index gives None there), or the error parsing it raised."""
    try:
        spec = tf.DeviceSpec.from_string(name)
    except Exception as exc:  # noqa: BLE001 - a name TensorFlow cannot read: the judge says so
        return {"spec": None, "spec_error": f"{type(exc).__name__}: {exc}"[:200]}
    kind = spec.device_type.upper() if isinstance(spec.device_type, str) else None
    return {"spec": [kind, spec.device_index], "spec_error": None}


def _describe(value):
    """A student's return value as plain data: a device name with the device TensorFlow maps it to,
    ints and lists as they are, anything else named."""
    if isinstance(value, str):
        return {"name": value, **_device_spec(value)}
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    name = getattr(value, "_device_name", None)
    return {"type": type(value).__name__, "device": name if isinstance(name, str) else None}


def num_gpus(sub):
    """num_gpus() and the GPU count TensorFlow reports."""
    return {**_visible(), "value": _describe(sub.num_gpus())}


def _first_default(function):
    """The default of a function's first parameter as plain data: 'none' when it has none,
    'unknown' when the signature cannot be read, else the value (or its repr)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return "unknown"
    if not parameters or parameters[0].default is inspect.Parameter.empty:
        return "none"
    value = parameters[0].default
    return value if type(value) is int else repr(value)[:80]


def try_gpu(sub, indices):
    """try_gpu() with no argument, then try_gpu(i) for each index the judge chose; and the
    default of try_gpu's argument (which only shows in behaviour where GPUs exist)."""
    values = [_describe(sub.try_gpu())]
    values += [_describe(sub.try_gpu(int(i))) for i in indices]
    return {**_visible(), "default": values[0], "values": values[1:], "default_index": _first_default(sub.try_gpu)}


# Where students ask TensorFlow how many GPUs there are (the lectures use the first two).
_GPU_LISTINGS = [(tf.config, "list_physical_devices"), (tf.config.experimental, "list_physical_devices"),
                 (tf.config, "list_logical_devices"), (tf.config.experimental, "list_logical_devices"),
                 (tf.config, "get_visible_devices"), (tf.config.experimental, "get_visible_devices")]


def _device_lib():
    try:
        from tensorflow.python.client import device_lib
    except ImportError:  # a TensorFlow without it: nothing to stand in for
        return None
    return device_lib


@contextlib.contextmanager
def _fake_gpus(count):
    """For the duration of the block, TensorFlow reports `count` GPUs: stand-ins named like real ones
    in tf.config's device listings (asked for GPUs, or for every device), tf.test.is_gpu_available and
    gpu_device_name, and the d2l book's device_lib.list_local_devices; other devices are untouched and
    nothing runs on the stand-ins. Restored on exit."""
    saved = [(owner, name, getattr(owner, name)) for owner, name in _GPU_LISTINGS if hasattr(owner, name)]

    def fakes(logical):
        if logical:
            return [tf.config.LogicalDevice(name=f"/device:GPU:{i}", device_type="GPU") for i in range(count)]
        return [tf.config.PhysicalDevice(name=f"/physical_device:GPU:{i}", device_type="GPU") for i in range(count)]

    def faked(original, logical):
        def listing(device_type=None):
            if device_type is None:
                return list(original()) + fakes(logical)
            if str(device_type).upper() != "GPU":
                return original(device_type)
            return fakes(logical)
        return listing

    stand_ins = [(tf.test, "is_gpu_available", lambda *args, **kwargs: count > 0),
                 (tf.test, "gpu_device_name", lambda: "/device:GPU:0" if count else "")]
    library = _device_lib()
    if library is not None and hasattr(library, "list_local_devices"):
        from tensorflow.core.framework import device_attributes_pb2

        local = library.list_local_devices
        gpus = [device_attributes_pb2.DeviceAttributes(name=f"/device:GPU:{i}", device_type="GPU")
                for i in range(count)]
        stand_ins.append((library, "list_local_devices", lambda *args, **kwargs: list(local(*args, **kwargs)) + gpus))
    saved_stand_ins = [(owner, name, getattr(owner, name)) for owner, name, _ in stand_ins if hasattr(owner, name)]
    try:
        for owner, name, original in saved:
            setattr(owner, name, faked(original, logical=name == "list_logical_devices"))
        for owner, name, stand_in in stand_ins:
            if hasattr(owner, name):
                setattr(owner, name, stand_in)
        yield
    finally:
        for owner, name, original in saved + saved_stand_ins:
            setattr(owner, name, original)


def _answer(function, *args):
    """function(*args) described, or the error it raised (each function is judged on its own)."""
    try:
        return {"value": _describe(function(*args)), "error": None}
    except Exception as exc:  # noqa: BLE001 - the judge words the message
        return {"value": None, "error": f"{type(exc).__name__}: {exc}"[:300]}


def with_fake_gpus(sub, count, indices):
    """While TensorFlow reports `count` stand-in GPUs: num_gpus(), try_gpu(i) for each index and
    try_all_gpus(), each with the error it raised if any."""
    with _fake_gpus(int(count)):
        return {"num_gpus": _answer(sub.num_gpus),
                "try_gpu": [_answer(sub.try_gpu, int(i)) for i in indices],
                "try_all_gpus": _answer(sub.try_all_gpus)}


def try_all_gpus(sub):
    """try_all_gpus() and the GPU count TensorFlow reports."""
    return {**_visible(), "value": _describe(sub.try_all_gpus())}


def _components(variable):
    """The tf.Variable behind a Keras variable, and its per-replica copies if it is distributed."""
    inner = getattr(variable, "value", variable)
    distributed = isinstance(inner, tf.distribute.DistributedValues)
    copies = list(getattr(inner, "values", ())) if distributed else []
    return inner, distributed, copies


def mirrored(sub, weights, X, y, learning_rate):
    """build_mirrored(build_fn) with a build_fn that builds and compiles Sequential([Input, Dense]).

    Reports how often build_fn ran, whether the model it built came back, each variable's kind and
    per-replica devices, the strategy's replica count, the output on X with `weights` set, and the
    weights after one full-batch SGD step of fit on (X, y)."""
    # Full float32 matmuls on a GPU leg too (Ampere+ GPUs default to TF32), so the judge's NumPy
    # forward pass and SGD step compare at the usual tolerance.
    tf.config.experimental.enable_tensor_float_32_execution(False)
    built = []

    def build_fn():
        model = tf.keras.Sequential([tf.keras.Input((int(X.shape[1]),)),
                                     tf.keras.layers.Dense(int(weights[0].shape[1]))])
        model.compile(optimizer=tf.keras.optimizers.SGD(float(learning_rate)), loss="mse")
        built.append(model)
        return model

    model = sub.build_mirrored(build_fn)
    report = {**_visible(), "calls": len(built), "same_model": bool(built) and model is built[-1]}
    if not bool(built) or not isinstance(model, tf.keras.Model):
        return {**report, "variables": [], "replicas": None, "output": None, "trained": None}
    variables = []
    replicas = None
    for v in model.weights:
        inner, distributed, copies = _components(v)
        strategy = getattr(inner, "_distribute_strategy", None)
        if distributed and strategy is not None:
            replicas = int(strategy.num_replicas_in_sync)
        variables.append({"kind": type(inner).__name__, "distributed": distributed,
                          "mirrored": type(inner).__name__ == "MirroredVariable",
                          "devices": [str(c.device) for c in copies]})
    report.update(variables=variables, replicas=replicas)
    model.set_weights([np.asarray(w) for w in weights])
    report["output"] = model(tf.constant(X))
    model.fit(X, y, batch_size=len(X), epochs=1, shuffle=False, verbose=0)
    report["trained"] = [np.asarray(w) for w in model.get_weights()]
    return report
