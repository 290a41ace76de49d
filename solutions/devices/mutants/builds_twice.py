"""Mutant: build_mirrored builds the model in the scope and then returns a second, unmirrored build.

Fails: test_build_mirrored_mirrors_variables, test_mirrored_over_all_devices,
    test_build_fn_called_once_and_returned
"""
import tensorflow as tf


def num_gpus():
    return len(tf.config.list_physical_devices("GPU"))


def try_gpu(i=0):
    if num_gpus() >= i + 1:
        return f"/GPU:{i}"
    return "/CPU:0"


def try_all_gpus():
    gpus = [f"/GPU:{i}" for i in range(num_gpus())]
    return gpus if gpus else ["/CPU:0"]


def build_mirrored(build_fn):
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        build_fn()
    return build_fn()
