"""Accepted: MyInit() as a default argument of build_net, made once when the def runs (issue 20,
item 1); set_weights in edit_params (it assigns to the existing variables).
"""
import numpy as np
import tensorflow as tf


class MyInit(tf.keras.initializers.Initializer):
    def __call__(self, shape, dtype=None):
        dtype = dtype or "float32"
        w = tf.random.uniform(shape, minval=-10, maxval=10, dtype=dtype)
        return tf.where(tf.abs(w) >= 5, w, tf.zeros_like(w))

    def get_config(self):
        return {}


def build_net(initializer=MyInit()):
    return tf.keras.Sequential([
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(4, activation="relu", kernel_initializer=initializer),
        tf.keras.layers.Dense(1),
    ])


def edit_params(net):
    kernel, bias = net.layers[1].get_weights()
    kernel = kernel + 1
    kernel[0, 0] = 42
    net.layers[1].set_weights([kernel, bias])
