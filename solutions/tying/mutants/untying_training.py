"""Mutant: trains two separate copies of the shared kernel, one per use, and keeps the first.

Fails: test_train_tied_losses, test_train_tied_updates_the_tied_weights
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
    kernel = net.layers[1].kernel
    with tf.GradientTape() as tape:
        loss = _mse(net, X, y)
    return tape.gradient(loss, kernel).numpy()


def train_tied(net, X, y, epochs=5, learning_rate=0.01):
    """Train `net` in place with plain SGD on that loss, one full-batch step per epoch;
    return the list of per-epoch losses."""
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    shared, out = net.layers[1], net.layers[3]
    first = tf.Variable(shared.kernel)
    second = tf.Variable(shared.kernel)
    variables = [first, second, shared.bias, out.kernel, out.bias]
    x = tf.reshape(X, (X.shape[0], -1))
    losses = []
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(x @ first + shared.bias)
            h = tf.nn.relu(h @ second + shared.bias)
            loss = tf.reduce_mean(tf.square(out(h) - y))
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables))
        losses.append(float(loss))
    shared.kernel.assign(first)
    return losses
