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


_TENSORS = (tf.Variable, tf.Tensor, tf.keras.Variable)


def _attributes(layer):
    """The layer's public attributes that hold a tensor or variable, by name."""
    return {name: value for name, value in vars(layer).items()
            if not name.startswith("_") and isinstance(value, _TENSORS)}


def _parameters(layer):
    """The layer's kernel (its 2-D parameter) and bias (1-D) as (attribute name or None, value): the
    contract's `weight` and `bias` where they exist, else any attribute of that rank, else a tracked
    variable of that rank. So the checks of what MyDense computes and how it starts never depend on
    the names (which are the build check's clause)."""
    attributes = _attributes(layer)
    found = {}
    for key, name, rank in (("weight", "weight", 2), ("bias", "bias", 1)):
        if name in attributes and len(attributes[name].shape) == rank:
            found[key] = (name, attributes[name])
            continue
        named = [(n, v) for n, v in attributes.items() if len(v.shape) == rank and n not in ("weight", "bias")]
        tracked = [(None, v) for v in layer.weights if len(v.shape) == rank]
        found[key] = (named or tracked or [(None, None)])[0]
    return found


def _value(entry):
    return None if entry[1] is None else tf.convert_to_tensor(entry[1])


def dense_build(sub, units, X):
    """MyDense(units): variables before the first call, after it, the output shape, the public
    attributes that hold tensors (name -> shape), and the initial kernel and bias."""
    layer = sub.MyDense(units)
    before = _shapes(layer.weights)
    out = layer(tf.constant(X))
    found = _parameters(layer)
    return {
        "before": before,
        "after": _shapes(layer.weights),
        "trainable": _shapes(layer.trainable_variables),
        "output_shape": [int(d) for d in out.shape],
        "attributes": {name: [int(d) for d in value.shape] for name, value in _attributes(layer).items()},
        "weight": _value(found["weight"]),
        "bias": _value(found["bias"]),
    }


def dense_initial(sub, units, X):
    """MyDense(units) after a call on X (one that raises still leaves what build made): its kernel and
    bias as they start, wherever the layer keeps them."""
    layer = sub.MyDense(units)
    try:
        layer(tf.constant(X))
    except Exception:  # noqa: BLE001 - a call that fails is another clause's mistake
        pass
    found = _parameters(layer)
    return {"weight": _value(found["weight"]), "bias": _value(found["bias"])}


def dense_weight_shapes(sub, units, X):
    """MyDense(units) called on X: the shapes of its variables after the call, even if the call raised
    (a weight of the wrong size breaks the matmul after build() made it)."""
    layer = sub.MyDense(units)
    try:
        layer(tf.constant(X))
    except Exception:  # noqa: BLE001 - the shapes say what went wrong
        pass
    return {"after": _shapes(layer.weights)}


def _give(layer, entry, value):
    """Put the judge's `value` into a parameter of the layer: assigned (transposed if the layer keeps it
    transposed) when it is a variable of a matching shape, else set as the attribute it lives in."""
    name, current = entry
    shape = tuple(int(d) for d in current.shape)
    oriented = value if shape == value.shape else value.T if shape == value.T.shape else None
    if oriented is not None and hasattr(current, "assign"):
        current.assign(oriented)
        return True
    if name is None:
        return False
    # bypass Keras' tracking: a built layer takes no new state, and this is the judge's stand-in
    object.__setattr__(layer, name, tf.constant(oriented if oriented is not None else value))
    return True


def dense_forward(sub, X, W, b):
    """MyDense(units) built on X (a call that fails is tolerated), given the judge's W and b wherever it
    keeps its kernel and bias; then its output on X. Reports which of the two it has: the judge
    computes relu(X @ W + b) without b for a layer that has no bias (the build check's clause)."""
    layer = sub.MyDense(int(W.shape[1]))
    try:
        layer(tf.constant(X))
    except Exception:  # noqa: BLE001 - build made its parameters; call is run again below
        pass
    found = _parameters(layer)
    if found["weight"][1] is None or not _give(layer, found["weight"], W):
        return {"has_weight": False, "has_bias": found["bias"][1] is not None, "output": None}
    has_bias = found["bias"][1] is not None and _give(layer, found["bias"], b)
    return {"has_weight": True, "has_bias": has_bias, "output": layer(tf.constant(X))}


def stacked(sub, X):
    """Sequential([MyDense(8), MyDense(1)]) on X: the output shape and trainable shapes."""
    net = tf.keras.Sequential([sub.MyDense(8), sub.MyDense(1)])
    out = net(tf.constant(X))
    return {"output_shape": [int(d) for d in out.shape], "trainable": _shapes(net.trainable_variables)}


def _set_trainable(layer, W, b):
    """The judge's W and b into the layer's trainable variables, found by rank (and orientation), not by
    name; False when it has no trainable kernel."""
    variables = layer.trainable_variables
    kernels = [v for v in variables if len(v.shape) == 2]
    biases = [v for v in variables if len(v.shape) == 1 and tuple(v.shape) == b.shape]
    if not kernels:
        return False
    kernel = kernels[0]
    kernel.assign(W if tuple(kernel.shape) == W.shape else W.T)
    for bias in biases[:1]:
        bias.assign(b)
    return True


def train(sub, X, y, weights, epochs, learning_rate):
    """Sequential([MyDense, MyDense(1)]) with the judge's initial weights in its trainable variables,
    compiled with plain SGD and MSE and fitted full-batch for `epochs`: the trainable variables'
    shapes and the per-epoch losses (None when a layer has no trainable kernel)."""
    first, second = sub.MyDense(int(weights[0][0].shape[1])), sub.MyDense(1)
    net = tf.keras.Sequential([first, second])
    net(tf.constant(X))
    answer = {"trainable": [_shapes(layer.trainable_variables) for layer in (first, second)], "losses": None}
    if not all(_set_trainable(layer, W, b) for layer, (W, b) in zip((first, second), weights)):
        return answer
    net.compile(optimizer=tf.keras.optimizers.SGD(learning_rate), loss="mse")
    history = net.fit(X, y, epochs=int(epochs), batch_size=len(X), shuffle=False, verbose=0)
    return {**answer, "losses": [float(v) for v in history.history["loss"]]}
