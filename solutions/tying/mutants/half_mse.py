"""Mutant: shared_gradient takes the gradient of the d2l squared loss, (y_hat - y)**2 / 2, averaged:
half the MSE (train_tied's loss is right: one mistake, in shared_gradient).

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
    kernel = net.layers[1].kernel
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(net(X) - y) / 2)
    return tape.gradient(loss, kernel).numpy()


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
