import tensorflow as tf


def num_gpus():
    return len(tf.config.list_physical_devices("GPU"))


def try_gpu(i=0):
    if num_gpus() >= i + 1:
        return f"/GPU:{i}"
    return "/CPU:0"


def try_all_gpus():
    # Colab gives us no GPU anyway
    return ["/CPU:0"]


def build_mirrored(build_fn):
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = build_fn()
    return model
