"""Exercise `tying`: parameter tying, one Dense layer used twice in a Sequential model.

Fill in `build_tied_net`, `shared_gradient` and `train_tied`. Check your work with:
grader check tying tying.py
"""
import numpy as np
import tensorflow as tf


def build_tied_net(units=4):
    """Sequential([Flatten(), shared, shared, Dense(1)]) where shared = Dense(units, activation="relu")
    is ONE layer object used twice (so the flattened input must have `units` features)."""
    # TODO
    raise NotImplementedError("build_tied_net is not written yet")


def shared_gradient(net, X, y):
    """The gradient of the mean squared error between net(X) and y with respect to the shared
    kernel (net.layers[1].kernel), as a NumPy array: the sum of both uses' contributions."""
    # TODO: use tf.GradientTape
    raise NotImplementedError("shared_gradient is not written yet")


def train_tied(net, X, y, epochs=5, learning_rate=0.01):
    """Train `net` in place with plain SGD on that loss, one full-batch step per epoch;
    return the list of per-epoch losses."""
    # TODO
    raise NotImplementedError("train_tied is not written yet")
