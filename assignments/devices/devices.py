"""Exercise `devices`: CPUs and GPUs, from the lecture on GPUs in Keras.

Fill in the four functions. Device names are strings such as "/GPU:0" and "/CPU:0".
Check your work with:  grader check devices devices.py
"""
import tensorflow as tf


def num_gpus():
    """The number of GPUs TensorFlow can see (0 on a machine without one)."""
    # TODO: count the physical GPU devices.
    raise NotImplementedError("num_gpus is not written yet")


def try_gpu(i=0):
    """The name "/GPU:i" if GPU number i exists, otherwise "/CPU:0"."""
    # TODO: return a device name string (not a tf.device context).
    raise NotImplementedError("try_gpu is not written yet")


def try_all_gpus():
    """The names of all GPUs, ["/GPU:0", "/GPU:1", ...], or ["/CPU:0"] if there is none."""
    # TODO
    raise NotImplementedError("try_all_gpus is not written yet")


def build_mirrored(build_fn):
    """Call build_fn() under a tf.distribute.MirroredStrategy and return the model it builds."""
    # TODO: create the strategy over the available devices and build the model in its scope.
    raise NotImplementedError("build_mirrored is not written yet")
