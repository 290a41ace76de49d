"""Mutant: num_gpus returns the list of GPU devices instead of how many there are.

Fails: test_num_gpus_counts_visible_gpus
"""
import tensorflow as tf


def num_gpus():
    return tf.config.list_physical_devices("GPU")


def try_gpu(i=0):
    if len(num_gpus()) >= i + 1:
        return f"/GPU:{i}"
    return "/CPU:0"


def try_all_gpus():
    gpus = [f"/GPU:{i}" for i in range(len(num_gpus()))]
    return gpus if gpus else ["/CPU:0"]


def build_mirrored(build_fn):
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        return build_fn()
