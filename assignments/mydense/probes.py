"""Probes for `mydense`: they build the student's layers, call them on inputs the judge chose,
set judge-chosen weights, and return plain data. They never judge anything."""
import tensorflow as tf


def _shapes(variables):
    return [[int(d) for d in v.shape] for v in variables]


def centered(sub, X):
    """CenteredLayer()(X), and the layer's variables after the call."""
    layer = sub.CenteredLayer()
    out = layer(tf.constant(X))
    return {"output": out, "variables": _shapes(layer.weights)}


def centered_in_sequential(sub, X, w):
    """Sequential([Dense (judge's weights), CenteredLayer()]) on X: output and trainable shapes."""
    dense = tf.keras.layers.Dense(int(w[0].shape[1]))
    net = tf.keras.Sequential([dense, sub.CenteredLayer()])
    net(tf.constant(X))
    dense.set_weights(w)
    return {"output": net(tf.constant(X)), "trainable": _shapes(net.trainable_variables)}


def dense_build(sub, units, X):
    """MyDense(units): variables before the first call, after it, the output shape and the
    initial values of `weight` and `bias` (None when the attribute is missing)."""
    layer = sub.MyDense(units)
    before = _shapes(layer.weights)
    out = layer(tf.constant(X))
    weight, bias = getattr(layer, "weight", None), getattr(layer, "bias", None)
    return {
        "before": before,
        "after": _shapes(layer.weights),
        "trainable": _shapes(layer.trainable_variables),
        "output_shape": [int(d) for d in out.shape],
        "weight": None if weight is None else tf.convert_to_tensor(weight),
        "bias": None if bias is None else tf.convert_to_tensor(bias),
    }


def dense_weight_shapes(sub, units, X):
    """MyDense(units) called on X: the shapes of its variables after the call, even if the call raised
    (a weight of the wrong size breaks the matmul after build() made it)."""
    layer = sub.MyDense(units)
    try:
        layer(tf.constant(X))
    except Exception:  # noqa: BLE001 - the shapes say what went wrong
        pass
    return {"after": _shapes(layer.weights)}


def dense_forward(sub, X, W, b):
    """MyDense(units) built on X, its `weight` and `bias` set to W and b when their shapes
    allow it; then its output on X. Otherwise the shapes the layer has, and no output."""
    layer = sub.MyDense(int(W.shape[1]))
    layer(tf.constant(X))
    weight, bias = getattr(layer, "weight", None), getattr(layer, "bias", None)
    shapes = [None if v is None else [int(d) for d in v.shape] for v in (weight, bias)]
    variables = all(hasattr(v, "assign") for v in (weight, bias))
    if shapes != [list(W.shape), list(b.shape)] or not variables:
        return {"shapes": shapes, "variables": variables, "output": None}
    weight.assign(W)
    bias.assign(b)
    return {"shapes": shapes, "variables": variables, "output": layer(tf.constant(X))}


def stacked(sub, X):
    """Sequential([MyDense(8), MyDense(1)]) on X: the output shape and trainable shapes."""
    net = tf.keras.Sequential([sub.MyDense(8), sub.MyDense(1)])
    out = net(tf.constant(X))
    return {"output_shape": [int(d) for d in out.shape], "trainable": _shapes(net.trainable_variables)}


def train(sub, X, y, weights, epochs, learning_rate):
    """Sequential([MyDense, MyDense(1)]) with the judge's initial weights, compiled with plain SGD
    and MSE and fitted full-batch for `epochs`: the per-epoch losses."""
    first, second = sub.MyDense(int(weights[0][0].shape[1])), sub.MyDense(1)
    net = tf.keras.Sequential([first, second])
    net(tf.constant(X))
    if not all(hasattr(getattr(layer, name, None), "assign") for layer in (first, second) for name in ("weight", "bias")):
        return None
    for layer, (W, b) in zip((first, second), weights):
        layer.weight.assign(W)
        layer.bias.assign(b)
    net.compile(optimizer=tf.keras.optimizers.SGD(learning_rate), loss="mse")
    history = net.fit(X, y, epochs=int(epochs), batch_size=len(X), shuffle=False, verbose=0)
    return [float(v) for v in history.history["loss"]]
