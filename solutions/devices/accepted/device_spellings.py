"""Accepted: device names in the spellings TensorFlow itself uses and reads (issue 20, item 5):
'/device:GPU:i' as tf.config.list_logical_devices reports GPUs, 'cpu:0' in lower case, and the GPU
count from device_lib (the d2l book's way). tf.DeviceSpec maps them to the same devices as '/GPU:i'
and '/CPU:0'.
"""
import tensorflow as tf
from tensorflow.python.client import device_lib


def num_gpus():
    return len([d for d in device_lib.list_local_devices() if d.device_type == "GPU"])


def try_gpu(i=0):
    if num_gpus() >= i + 1:
        return f"/device:GPU:{i}"
    return "cpu:0"


def try_all_gpus():
    devices = [d.name for d in tf.config.list_logical_devices("GPU")]
    return devices if devices else ["/device:CPU:0"]


def build_mirrored(build_fn):
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = build_fn()
    return model
