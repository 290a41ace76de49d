"""Mutant: try_gpu tests num_gpus() > i + 1, so the last GPU is never named (CPU instead); only
shows where GPUs exist (found by `grader selfcheck --mutate devices`).

Fails: test_try_gpu_past_the_last_gpu
"""
import tensorflow as tf


def num_gpus():
    return len(tf.config.list_physical_devices("GPU"))


def try_gpu(i=0):
    if num_gpus() > i + 1:
        return f"/GPU:{i}"
    return "/CPU:0"


def try_all_gpus():
    gpus = [f"/GPU:{i}" for i in range(num_gpus())]
    return gpus if gpus else ["/CPU:0"]


def build_mirrored(build_fn):
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        return build_fn()
