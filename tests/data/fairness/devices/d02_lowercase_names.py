import tensorflow as tf


def num_gpus():
    return len(tf.config.experimental.list_physical_devices("GPU"))


def try_gpu(i=0):
    """gpu:i if it exists, else cpu:0 (TensorFlow accepts lower case)."""
    return f"gpu:{i}" if num_gpus() > i else "cpu:0"


def try_all_gpus():
    return [f"gpu:{i}" for i in range(num_gpus())] or ["/CPU:0"]


def build_mirrored(build_fn):
    with tf.distribute.MirroredStrategy().scope():
        return build_fn()


print(try_gpu(), try_all_gpus())
