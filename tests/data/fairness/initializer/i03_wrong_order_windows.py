"""Esercizio initializer - consegna di Marco B. (scritto su Windows, VS Code)"""
import tensorflow as tf


class MyInit(tf.keras.initializers.Initializer):
    """0 with probability 1/2, otherwise uniform in [5, 10] or [-10, -5]."""

    def __call__(self, shape, dtype=None):
        dtype = dtype or "float32"
        values = tf.random.uniform(shape, -10, 10, dtype=dtype)
        return values * tf.cast(tf.abs(values) >= 5, dtype)

    def get_config(self):
        return {}


def build_net():
    return tf.keras.Sequential([
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(4, activation="relu", kernel_initializer=MyInit()),
        tf.keras.layers.Dense(1),
    ])


def edit_params(net):
    kernel = net.layers[1].weights[0]
    kernel[0, 0].assign(42)      # prima il 42...
    kernel.assign(kernel + 1)    # ...poi +1 a tutto


if __name__ == "__main__":
    net = build_net()
    net(tf.ones((1, 3)))
    edit_params(net)
    print(net.layers[1].weights[0])
