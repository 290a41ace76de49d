"""Probes for `concat`: they run in the worker, build ConcatBlocks around Dense layers
with weights the judge chose, and return plain arrays. They never judge anything."""
import tensorflow as tf


def _dense(weights, n_in=None):
    layer = tf.keras.layers.Dense(int(weights[0].shape[1]))
    if n_in is not None:
        layer.build((None, int(n_in)))
        layer.set_weights(weights)
    return layer


def _make(sub, net1, net2, axis):
    if axis is None:
        return sub.ConcatBlock(net1, net2)
    return sub.ConcatBlock(net1, net2, axis=axis)


def forward(sub, X, w1, w2, axis=None):
    """ConcatBlock(Dense, Dense[, axis]) on X, sub-nets built beforehand with weights w1, w2."""
    n_in = X.shape[-1]
    block = _make(sub, _dense(w1, n_in), _dense(w2, n_in), axis)
    return block(tf.constant(X))


def lazy_forward(sub, X, w1, w2):
    """Unbuilt sub-nets: were they built by the first call? Then the output with w1, w2 set."""
    net1, net2 = _dense(w1), _dense(w2)
    block = _make(sub, net1, net2, None)
    block(tf.constant(X))
    built = [bool(net1.built), bool(net2.built)]
    if not all(built):
        return {"built": built, "output": None}
    net1.set_weights(w1)
    net2.set_weights(w2)
    return {"built": built, "output": block(tf.constant(X))}


def trainable(sub, X, w1, w2):
    """Whether each of the sub-nets' variables is among the block's trainable variables (after a call,
    which may fail: tracking does not depend on what call computes), and how many the block has."""
    n_in = X.shape[-1]
    net1, net2 = _dense(w1, n_in), _dense(w2, n_in)
    block = _make(sub, net1, net2, None)
    try:
        block(tf.constant(X))
    except Exception:  # noqa: BLE001 - a wrong call is another clause's mistake
        pass
    tracked = {id(v) for v in block.trainable_variables}
    return {"net1": [id(v) in tracked for v in net1.trainable_variables],
            "net2": [id(v) in tracked for v in net2.trainable_variables],
            "count": len(block.trainable_variables)}


def gradients(sub, X, w1, w2, G):
    """Gradients of sum(output * G) with respect to net1's and then net2's kernel and bias, taken on
    the sub-nets' own variables (whether the block tracks them is another test's clause)."""
    n_in = X.shape[-1]
    net1, net2 = _dense(w1, n_in), _dense(w2, n_in)
    block = _make(sub, net1, net2, None)
    variables = [net1.kernel, net1.bias, net2.kernel, net2.bias]
    with tf.GradientTape() as tape:
        out = block(tf.constant(X))
        if tuple(out.shape) != tuple(G.shape):
            return {"shape": [int(d) for d in out.shape], "grads": None}
        loss = tf.reduce_sum(out * tf.constant(G))
    grads = tape.gradient(loss, variables)
    return {"shape": list(G.shape), "grads": [None if g is None else tf.convert_to_tensor(g) for g in grads]}


def nested(sub, X, weights):
    """Sequential([ConcatBlock(D, D), Dense, ConcatBlock(D, D)]) with the given weights per Dense."""
    a, b, c, d, e = (_dense(w) for w in weights)
    net = tf.keras.Sequential([_make(sub, a, b, None), c, _make(sub, d, e, None)])
    net(tf.constant(X))
    for layer, w in zip((a, b, c, d, e), weights):
        layer.set_weights(w)
    return net(tf.constant(X))
