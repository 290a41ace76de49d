"""Exercise `saveload`: tensors and parameters on disk.

Write a dict of tensors to a file and read it back, then save a model's
parameters and rebuild the model from them. The grader saves in one Python
process and loads in a fresh one, so everything must go through the file.
The specs pass file names ending in `.npz` to `save_tensors`/`load_tensors`
and ending in `.weights.h5` to `save_params`/`load_params`.

Check your work with:  grader check saveload saveload.py
"""
import numpy as np
import tensorflow as tf


def save_tensors(path, tensors):
    """Write `tensors`, a dict of name -> array (NumPy array or tf.Tensor), to the file `path`.

    Names, shapes, dtypes and values must survive; the file must be readable
    with `np.load(path, allow_pickle=False)` (no pickled objects).
    """
    # TODO
    raise NotImplementedError("save_tensors is not written yet")


def load_tensors(path):
    """Read the file written by `save_tensors(path, ...)`: a dict of name -> np.ndarray."""
    # TODO
    raise NotImplementedError("load_tensors is not written yet")


class MLP(tf.keras.Model):
    """Flatten -> Dense(256, relu) -> Dense(10)."""

    def __init__(self):
        super().__init__()
        # TODO: create the three layers as attributes

    def call(self, inputs):
        # TODO: apply them in order
        raise NotImplementedError("MLP.call is not written yet")


def save_params(net, path):
    """Write the parameters of `net` (an MLP) to `path` (a name ending in `.weights.h5`)."""
    # TODO
    raise NotImplementedError("save_params is not written yet")


def load_params(path, input_shape=(20,)):
    """Return a new MLP, built for inputs of shape `input_shape` (one example), holding the parameters in `path`."""
    # TODO
    raise NotImplementedError("load_params is not written yet")
