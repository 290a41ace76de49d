"""Probes for `initializer`: they call MyInit, build_net and edit_params on shapes, inputs and
weights the judge chose, and return plain data. They never judge anything."""
import tensorflow as tf


def _describe(value):
    tensor = tf.convert_to_tensor(value)
    return {"dtype": tensor.dtype.name, "shape": [int(d) for d in tensor.shape], "values": tensor}


def draw(sub, shape, dtype="float32"):
    """MyInit()(shape, dtype): the dtype and shape of what came back, and its values."""
    return _describe(sub.MyInit()(tuple(shape), dtype=dtype))


def draw_calls(sub, calls):
    """Several MyInit calls, given as [shape, dtype] pairs; an error names the call that raised it."""
    answers = []
    for shape, dtype in calls:
        try:
            answers.append(_describe(sub.MyInit()(tuple(shape), dtype=dtype)))
        except Exception as exc:  # the judge words the message: which call failed, and why
            answers.append({"error": f"{type(exc).__name__}: {exc}"[:300]})
    return answers


def draw_default(sub, shape):
    """MyInit()(shape) with no dtype: what came back, or the error it raised."""
    try:
        return _describe(sub.MyInit()(tuple(shape)))
    except Exception as exc:  # the judge words the message
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


def config(sub):
    """The type of MyInit().get_config()."""
    return type(sub.MyInit().get_config()).__name__


class _JudgeInit(tf.keras.initializers.Initializer):
    """The judge's own correct MyInit. The probes of build_net hand it to the first Dense layer before
    the net is built, so they never depend on the student's MyInit being right (its own tests' clause)."""

    def __call__(self, shape, dtype=None):
        data = tf.random.uniform(shape, -10, 10, dtype=dtype or "float32")
        return data * tf.cast(tf.abs(data) >= 5, data.dtype)

    def get_config(self):
        return {}


def _first_dense(net):
    dense = [layer for layer in getattr(net, "layers", []) if isinstance(layer, tf.keras.layers.Dense)]
    return dense[0] if dense else None


def _build_net(sub):
    """sub.build_net() as written, and what its first Dense layer's initializer was: an instance of the
    submission's MyInit class however and wherever it was made (in the call, at module level, as a
    default argument). That layer then gets the judge's initializer, unless build_net built the net
    itself. Only if build_net() raises (a MyInit that fails while build_net builds) is it run again
    with the name MyInit bound to the judge's class where build_net looks it up."""
    try:
        net = sub.build_net()
    except Exception:  # noqa: BLE001 - retried with the judge's MyInit; raises again if that was not the cause
        net = _build_net_with_judge_init(sub)
    layer = _first_dense(net)
    initializer = getattr(layer, "kernel_initializer", None)
    own = getattr(sub, "MyInit", None)
    described = {"initializer": type(initializer).__name__,
                 "initializer_is_myinit": isinstance(initializer, _JudgeInit) or type(initializer).__name__ == "MyInit"
                 or (isinstance(own, type) and isinstance(initializer, own))}
    if layer is not None and not layer.built:
        layer.kernel_initializer = _JudgeInit()
    return net, described


def _build_net_with_judge_init(sub):
    names = getattr(sub.build_net, "__globals__", None)
    names = names if isinstance(names, dict) else vars(sub)
    had, own = "MyInit" in names, names.get("MyInit")
    names["MyInit"] = _JudgeInit
    try:
        return sub.build_net()
    finally:
        if had:
            names["MyInit"] = own
        else:
            del names["MyInit"]


def net_structure(sub, X):
    """build_net() called on X: its layers' class names, Dense widths, and its first Dense layer's
    initializer (the class name, and whether it is the submission's MyInit)."""
    net, described = _build_net(sub)
    out = net(tf.constant(X))
    layers = list(net.layers)
    return {
        "classes": [type(layer).__name__ for layer in layers],
        "units": [int(getattr(layer, "units", -1)) for layer in layers],
        "output_shape": [int(d) for d in out.shape],
        **described,
    }


def net_forward(sub, X, weights):
    """build_net() built on X, with the judge's weights set layer by layer; then its output on X."""
    net, _ = _build_net(sub)
    net(tf.constant(X))
    dense = [layer for layer in net.layers if layer.weights]
    for layer, w in zip(dense, weights):
        layer.set_weights(w)
    return net(tf.constant(X))


def edit(sub, X, w1, w2):
    """edit_params on the lecture's net with the judge's weights: the kernel before and after."""
    units = int(w1[0].shape[1])
    net = tf.keras.Sequential([
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(units, activation="relu"),
        tf.keras.layers.Dense(1),
    ])
    net(tf.constant(X))
    net.layers[1].set_weights(w1)
    net.layers[2].set_weights(w2)
    old = net.layers[1].kernel
    sub.edit_params(net)
    layer = net.layers[1]
    return {
        "kernel": layer.kernel,
        "old_variable": old,
        "same_variable": layer.kernel is old,
        "bias": layer.bias,
        "second_layer": net.layers[2].get_weights(),
        "output": net(tf.constant(X)),
    }
