"""Probes for `lenet`: they run in the worker, call the student's functions on inputs
and weights the judge chose, train the student's LeNet on the project's offline
images, and report what came back as plain data. They never judge anything."""
import numpy as np
import tensorflow as tf

from grader.offline_data import make_images

_CONFIG_KEYS = ("filters", "kernel_size", "strides", "padding", "pool_size", "units", "activation")


def _plain(value):
    """A config value as JSON-friendly data (tuples as lists, anything odd as its text)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _describe_call(function, *args):
    try:
        value = function(*args)
    except Exception as exc:  # noqa: BLE001 - which exception is the answer here
        return {"raised": type(exc).__name__, "value_error": isinstance(exc, ValueError), "shape": None}
    shape = getattr(value, "shape", None)
    return {"raised": None, "value_error": False,
            "shape": None if shape is None else [None if d is None else int(d) for d in shape]}


# -- to_channels_last -----------------------------------------------------------------------
def channels_last(sub, X):
    """to_channels_last(X): the result's type, dtype and values."""
    out = sub.to_channels_last(X)
    array = np.asarray(out)
    return {"type": f"{type(out).__module__}.{type(out).__name__}", "dtype": str(array.dtype),
            "value": array if not array.dtype.hasobject else None}


def channels_last_other_shapes(sub, shapes):
    """to_channels_last on zero arrays of each shape: what it raised, or the shape it returned."""
    return [_describe_call(sub.to_channels_last, np.zeros(tuple(shape), dtype=np.float32)) for shape in shapes]


# -- build_lenet ------------------------------------------------------------------------------
def _model(sub, activation):
    model = sub.build_lenet() if activation is None else sub.build_lenet(activation)
    if not model.built:
        model.build((None, 28, 28, 1))
    return model


def _layers(model):
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


_LAYERS = {}


def lenet_layers(sub, activation=None):
    """build_lenet([activation]): each layer's class, config values and parameter count; the total.
    Several specs ask for it: it is built once per activation in this worker (one submission's)."""
    if activation not in _LAYERS:
        _LAYERS[activation] = _describe_layers(_model(sub, activation))
    return _LAYERS[activation]


def _describe_layers(model):
    layers = []
    for layer in _layers(model):
        config = layer.get_config()
        entry = {key: _plain(config.get(key)) for key in _CONFIG_KEYS}
        entry["class"] = type(layer).__name__
        entry["params"] = int(layer.count_params())
        layers.append(entry)
    return {"layers": layers, "count_params": int(model.count_params()), "input_shape": _input_shape(model)}


def _input_shape(model):
    """The model's input shape as a list (None for the batch axis), or None if it has no single input."""
    try:
        shape = model.input_shape
    except Exception:  # noqa: BLE001 - a model without a defined input says so by None
        return None
    if not isinstance(shape, tuple) or not all(d is None or isinstance(d, int) for d in shape):
        return None
    return list(shape)


def lenet_forward(sub, X, weights, activation=None):
    """build_lenet([activation]) given the judge's weights, layer by layer: parameter shapes and output on X."""
    model = _model(sub, activation)
    with_weights = [layer for layer in _layers(model) if layer.weights]
    shapes = [[list(np.shape(w)) for w in layer.get_weights()] for layer in with_weights]
    expected = [[list(np.shape(w)) for w in pair] for pair in zip(weights[0::2], weights[1::2])]
    if shapes != expected:
        return {"shapes": shapes, "output": None}
    for layer, kernel, bias in zip(with_weights, weights[0::2], weights[1::2]):
        layer.set_weights([kernel, bias])
    return {"shapes": shapes, "output": model(tf.constant(X), training=False)}


def lenet_default(sub, X):
    """build_lenet() and build_lenet("sigmoid") with the same parameters (the first one's initial
    ones): both outputs on X, whatever the architecture, so the default is judged on its own."""
    default, sigmoid = _model(sub, None), _model(sub, "sigmoid")
    sigmoid.set_weights(default.get_weights())
    X = tf.constant(X)
    return {"default": default(X, training=False), "sigmoid": sigmoid(X, training=False)}


def _outputs_probabilities(model, X):
    out = np.asarray(model(tf.constant(X), training=False), dtype=np.float64)
    return bool(out.ndim == 2 and np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-4))


def train(sub, n_train, data_seed, epochs, batch_size, X_test):
    """Compile build_lenet("relu") with the judge's settings (Adam, sparse cross-entropy on what the
    model outputs: probabilities or, without softmax, logits) and fit it on offline images; its
    outputs on X_test."""
    X, y = make_images(int(n_train), int(data_seed))
    model = sub.build_lenet("relu")
    from_logits = not _outputs_probabilities(model, X[:8, ..., None])
    model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    model.fit(X[..., None], y, epochs=int(epochs), batch_size=int(batch_size), verbose=0)
    return model(tf.constant(X_test), training=False)


# -- flatten_size -------------------------------------------------------------------------------
def flatten_sizes(sub, sizes):
    """flatten_size(height, width) for each pair: the number (or None and its type if not a number)."""
    answers = []
    for height, width in sizes:
        value = sub.flatten_size(int(height), int(width))
        try:
            number = np.asarray(value).item()
        except Exception:  # noqa: BLE001
            number = None
        if not isinstance(number, (int, float)) or isinstance(number, bool):
            number = None
        integer = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        answers.append({"value": number, "type": type(value).__name__, "integer": integer})
    return answers
