"""Mutant: build_net puts a ReLU on the output layer too, Dense(1, activation="relu"): the net can no
longer output a negative value (the draws guarantee a negative output somewhere on every seed).

Fails: test_build_net_layers_and_output
"""
import tensorflow as tf


class MyInit(tf.keras.initializers.Initializer):
    """Entries are 0 with probability 1/2, uniform on [5, 10] with probability 1/4 and
    uniform on [-10, -5] with probability 1/4: draw from U(-10, 10), zero what has |w| < 5."""

    def __call__(self, shape, dtype=None):
        dtype = dtype or "float32"
        data = tf.random.uniform(shape, -10, 10, dtype=dtype)
        keep = tf.cast(tf.abs(data) >= 5, dtype)
        return data * keep

    def get_config(self):
        return {}


def build_net():
    """Sequential([Flatten(), Dense(4, relu, kernel_initializer=MyInit()), Dense(1)])."""
    return tf.keras.Sequential([
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(4, activation="relu", kernel_initializer=MyInit()),
        tf.keras.layers.Dense(1, activation="relu"),
    ])


def edit_params(net):
    """In place: add 1 to every entry of the kernel of net.layers[1], then set its entry [0, 0] to 42."""
    kernel = net.layers[1].weights[0]
    kernel.assign(kernel + 1)
    kernel[0, 0].assign(42)
