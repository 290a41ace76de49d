"""Mutant: try_gpu tests num_gpus() >= i, so it names a GPU that does not exist.

Fails: test_try_gpu_first_device, test_try_gpu_past_the_last_gpu
"""
import tensorflow as tf


def num_gpus():
    return len(tf.config.list_physical_devices("GPU"))


def try_gpu(i=0):
    if num_gpus() >= i:
        return f"/GPU:{i}"
    return "/CPU:0"


def try_all_gpus():
    gpus = [f"/GPU:{i}" for i in range(num_gpus())]
    return gpus if gpus else ["/CPU:0"]


def build_mirrored(build_fn):
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        return build_fn()
