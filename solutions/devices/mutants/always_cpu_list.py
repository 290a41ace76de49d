"""Mutant: try_all_gpus always returns ["/CPU:0"]: right on a machine without GPUs, wrong wherever
there are some (shown with the GPUs the grader simulates).

Fails: test_try_all_gpus
"""
import tensorflow as tf


def num_gpus():
    """The number of GPUs TensorFlow can see (0 on a machine without one)."""
    return len(tf.config.list_physical_devices("GPU"))


def try_gpu(i=0):
    """The name "/GPU:i" if GPU number i exists, otherwise "/CPU:0"."""
    if num_gpus() >= i + 1:
        return f"/GPU:{i}"
    return "/CPU:0"


def try_all_gpus():
    """The names of all GPUs, ["/GPU:0", "/GPU:1", ...], or ["/CPU:0"] if there is none."""
    return ["/CPU:0"]


def build_mirrored(build_fn):
    """Call build_fn() under a tf.distribute.MirroredStrategy and return the model it builds."""
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = build_fn()
    return model
