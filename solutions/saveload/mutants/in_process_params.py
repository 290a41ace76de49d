"""Mutant: load_params returns the very MLP save_params kept in a module-level dict, so the
parameters' round trip only works inside one process (save_tensors and load_tensors are right).

Fails: test_params_round_trip_in_a_fresh_process, test_load_params_builds_for_the_input_shape
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
        self.out = tf.keras.layers.Dense(10)

    def call(self, inputs):
        return self.out(self.hidden(self.flatten(inputs)))


_STORE = {}


def save_params(net, path):
    """Write the parameters of `net` (an MLP) to `path` (a name ending in `.weights.h5`)."""
    _STORE[path] = net
    net.save_weights(path)


def load_params(path, input_shape=(20,)):
    """Return a new MLP, built for inputs of shape `input_shape`, holding the parameters in `path`."""
    return _STORE[path]
