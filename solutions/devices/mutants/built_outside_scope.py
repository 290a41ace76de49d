"""Mutant: build_mirrored calls build_fn() before entering the strategy's scope (plain variables).

Fails: test_build_mirrored_mirrors_variables, test_mirrored_over_all_devices
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
    model = build_fn()
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        pass
    return model
