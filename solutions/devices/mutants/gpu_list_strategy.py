"""Mutant: MirroredStrategy(devices=try_all_gpus()): without GPUs it mirrors over one CPU only.

Fails: test_mirrored_over_all_devices
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
    strategy = tf.distribute.MirroredStrategy(devices=try_all_gpus())
    with strategy.scope():
        return build_fn()
