"""Mutant: try_all_gpus returns [] without GPUs (the lecture's code), not ["/CPU:0"].

Fails: test_try_all_gpus
"""
import tensorflow as tf


def num_gpus():
    return len(tf.config.list_physical_devices("GPU"))


def try_gpu(i=0):
    if num_gpus() >= i + 1:
        return f"/GPU:{i}"
    return "/CPU:0"


def try_all_gpus():
    return [f"/GPU:{i}" for i in range(num_gpus())]


def build_mirrored(build_fn):
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        return build_fn()
