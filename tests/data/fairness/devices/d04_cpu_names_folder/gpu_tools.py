import tensorflow as tf


def count_gpus():
    return len(tf.config.list_physical_devices("GPU"))
