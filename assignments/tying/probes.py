"""Probes for `tying`: they build tied nets (the student's, or the lecture's own for the
functions that take a net), set judge-chosen weights, call the student's functions and return
plain data. They never judge anything."""
import numpy as np
import tensorflow as tf


def _shapes(variables):
    return [[int(d) for d in v.shape] for v in variables]


def _lecture_net(X, w_shared, w_out):
    """The lecture's tied net, built on X, with the judge's weights."""
    shared = tf.keras.layers.Dense(int(w_shared[0].shape[1]), activation="relu")
    net = tf.keras.Sequential([tf.keras.layers.Flatten(), shared, shared, tf.keras.layers.Dense(1)])
    net(tf.constant(X))
    shared.set_weights(w_shared)
    net.layers[3].set_weights(w_out)
    return net


def _student_net(sub, units, X):
    net = sub.build_tied_net() if units is None else sub.build_tied_net(units=int(units))
    out = net(tf.constant(X))
    layers = list(net.layers)
    return net, {
        "classes": [type(layer).__name__ for layer in layers],
        "same_object": len(layers) > 2 and layers[1] is layers[2],
        "trainable": _shapes(net.trainable_variables),
        "output_shape": [int(d) for d in out.shape],
    }


def tied_forward(sub, X, w_shared, w_out, units=None, via=1):
    """build_tied_net(units) on X; the judge's shared weights set through net.layers[via] (or each
    layer of a list of indices) and the output layer's through net.layers[3]; then the output on X."""
    net, info = _student_net(sub, units, X)
    if len(net.layers) != 4:
        return {**info, "output": None}
    for index in via if isinstance(via, list) else [via]:
        net.layers[int(index)].set_weights(w_shared)
    net.layers[3].set_weights(w_out)
    return {**info, "output": net(tf.constant(X))}


def tied_after_sgd(sub, X, y, w_shared, w_out, steps, learning_rate):
    """build_tied_net() with the judge's weights set on layers 1 and 2, then `steps` plain SGD steps
    on the MSE (the grader's own loop): the kernels of net.layers[1] and net.layers[2]."""
    net, info = _student_net(sub, int(w_shared[0].shape[1]), X)
    if len(net.layers) != 4:
        return {**info, "kernels": None}
    for layer in (net.layers[1], net.layers[2]):
        layer.set_weights(w_shared)
    net.layers[3].set_weights(w_out)
    for _ in range(int(steps)):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(net(tf.constant(X)) - tf.constant(y)))
        grads = tape.gradient(loss, net.trainable_variables)
        for variable, grad in zip(net.trainable_variables, grads):
            if grad is not None:
                variable.assign_sub(learning_rate * grad)
    return {**info, "kernels": [net.layers[1].get_weights()[0], net.layers[2].get_weights()[0]]}


def gradient(sub, X, y, w_shared, w_out):
    """shared_gradient(net, X, y) on the lecture's tied net with the judge's weights."""
    net = _lecture_net(X, w_shared, w_out)
    grad = sub.shared_gradient(net, tf.constant(X), tf.constant(y))
    return {"value": None if grad is None else tf.convert_to_tensor(grad),
            "is_numpy": isinstance(grad, np.ndarray)}


def train(sub, X, y, w_shared, w_out, epochs=None, learning_rate=None):
    """train_tied on the lecture's tied net with the judge's weights (defaults where the judge gives
    no epochs or learning rate): the losses it returned and the net's state afterwards."""
    net = _lecture_net(X, w_shared, w_out)
    kwargs = {k: v for k, v in (("epochs", epochs), ("learning_rate", learning_rate)) if v is not None}
    result = sub.train_tied(net, tf.constant(X), tf.constant(y), **kwargs)
    try:
        losses = [float(v) for v in result]
    except (TypeError, ValueError):
        losses = None
    return {
        "losses": losses,
        "returned": type(result).__name__,
        "same_object": net.layers[1] is net.layers[2],
        "trainable": _shapes(net.trainable_variables),
        "shared": net.layers[1].get_weights(),
        "out": net.layers[3].get_weights(),
        "output": net(tf.constant(X)),
    }


def train_defaults(sub, X, y, w_shared, w_out):
    """train_tied(net, X, y) and train_tied(net, X, y, epochs=5, learning_rate=0.01), each on a fresh
    lecture net with the judge's weights: the losses each returned (None if not a list of numbers),
    each net's weights afterwards, and whether they moved."""
    answers = {}
    for key, kwargs in (("default", {}), ("explicit", {"epochs": 5, "learning_rate": 0.01})):
        net = _lecture_net(X, w_shared, w_out)
        before = [np.array(w) for w in net.get_weights()]
        result = sub.train_tied(net, tf.constant(X), tf.constant(y), **kwargs)
        try:
            losses = [float(v) for v in result]
        except (TypeError, ValueError):
            losses = None
        after = net.get_weights()
        answers[key] = {"losses": losses, "weights": after,
                        "moved": any(not np.array_equal(a, b) for a, b in zip(before, after))}
    return answers
