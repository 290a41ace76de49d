"""Mutant: the MLP's output layer has a ReLU too, Dense(10, activation="relu"): no output can be
negative (the draws guarantee a negative output somewhere on every seed).

Fails: test_mlp_computes_flatten_dense_relu_dense
"""
import numpy as np
import tensorflow as tf


def save_tensors(path, tensors):
    """Write `tensors`, a dict of name -> array (NumPy array or tf.Tensor), to the file `path`."""
    np.savez(path, **{name: np.asarray(value) for name, value in tensors.items()})


def load_tensors(path):
    """Read the file written by `save_tensors(path, ...)`: a dict of name -> np.ndarray."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


class MLP(tf.keras.Model):
    """Flatten -> Dense(256, relu) -> Dense(10)."""

    def __init__(self):
        super().__init__()
        self.flatten = tf.keras.layers.Flatten()
        self.hidden = tf.keras.layers.Dense(256, activation="relu")
        self.out = tf.keras.layers.Dense(10, activation="relu")

    def call(self, inputs):
        return self.out(self.hidden(self.flatten(inputs)))


def save_params(net, path):
    """Write the parameters of `net` (an MLP) to `path` (a name ending in `.weights.h5`)."""
    net.save_weights(path)


def load_params(path, input_shape=(20,)):
    """Return a new MLP, built for inputs of shape `input_shape`, holding the parameters in `path`."""
    net = MLP()
    net(tf.zeros((1, *input_shape)))  # a subclassed model creates its variables on its first call
    net.load_weights(path)
    return net
