"""Mutant: load_tensors returns what save_tensors kept in a module-level dict, so the tensors' round
trip only works inside one process (save_params and load_params are right).

Fails: test_tensors_round_trip_in_a_fresh_process, test_dtypes_shapes_and_names_survive_in_separate_files
"""
import numpy as np
import tensorflow as tf


_STORE = {}


def save_tensors(path, tensors):
    """Write `tensors`, a dict of name -> array (NumPy array or tf.Tensor), to the file `path`."""
    _STORE[path] = {name: np.asarray(value) for name, value in tensors.items()}
    np.savez(path, **_STORE[path])


def load_tensors(path):
    """Read the file written by `save_tensors(path, ...)`: a dict of name -> np.ndarray."""
    return dict(_STORE[path])


class MLP(tf.keras.Model):
    """Flatten -> Dense(256, relu) -> Dense(10)."""

    def __init__(self):
        super().__init__()
        self.flatten = tf.keras.layers.Flatten()
        self.hidden = tf.keras.layers.Dense(256, activation="relu")
        self.out = tf.keras.layers.Dense(10)

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
