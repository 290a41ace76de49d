"""Mutant: num_gpus counts every logical device (the CPUs too), not the GPUs.

Fails: test_num_gpus_counts_visible_gpus
"""
import tensorflow as tf


def num_gpus():
    return len(tf.config.list_logical_devices())


def try_gpu(i=0):
    if len(tf.config.list_physical_devices("GPU")) >= i + 1:
        return f"/GPU:{i}"
    return "/CPU:0"


def try_all_gpus():
    gpus = [f"/GPU:{i}" for i in range(len(tf.config.list_physical_devices("GPU")))]
    return gpus if gpus else ["/CPU:0"]


def build_mirrored(build_fn):
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        return build_fn()
