"""Mutant: the gradient of the first use only (the second use's kernel is held constant).

Fails: test_shared_gradient_sums_both_uses, test_gradient_is_sum_of_both_uses
"""
import numpy as np
import tensorflow as tf


def build_tied_net(units=4):
    """Sequential([Flatten(), shared, shared, Dense(1)]) where shared = Dense(units, activation="relu")
    is ONE layer object used twice (so the flattened input must have `units` features)."""
    shared = tf.keras.layers.Dense(units, activation="relu")
    return tf.keras.Sequential([tf.keras.layers.Flatten(), shared, shared, tf.keras.layers.Dense(1)])


def _mse(net, X, y):
    return tf.reduce_mean(tf.square(net(X) - y))


def shared_gradient(net, X, y):
    """The gradient of the mean squared error between net(X) and y with respect to the shared
    kernel (net.layers[1].kernel), as a NumPy array: the sum of both uses' contributions."""
    shared, out = net.layers[1], net.layers[3]
    x = tf.reshape(X, (X.shape[0], -1))
    with tf.GradientTape() as tape:
        h = tf.nn.relu(x @ shared.kernel + shared.bias)
        h = tf.nn.relu(h @ tf.stop_gradient(shared.kernel) + shared.bias)
        loss = tf.reduce_mean(tf.square(out(h) - y))
    return tape.gradient(loss, shared.kernel).numpy()


def train_tied(net, X, y, epochs=5, learning_rate=0.01):
    """Train `net` in place with plain SGD on that loss, one full-batch step per epoch;
    return the list of per-epoch losses."""
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    losses = []
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = _mse(net, X, y)
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
        losses.append(float(loss))
    return losses
