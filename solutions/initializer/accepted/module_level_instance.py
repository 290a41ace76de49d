"""Accepted: one MyInit made at module level and passed to the Dense layer; and edit_params with the
lecture's slicing. build_net builds exactly the right net: the instance is the student's MyInit
wherever it was made (issue 20, item 1).
"""
import tensorflow as tf


class MyInit(tf.keras.initializers.Initializer):
    def __call__(self, shape, dtype=None):
        data = tf.random.uniform(shape, -10, 10, dtype=dtype or tf.float32)
        return data * tf.cast(tf.abs(data) >= 5, data.dtype)

    def get_config(self):
        return {}


my_init = MyInit()


def build_net():
    return tf.keras.Sequential([
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(4, activation=tf.nn.relu, kernel_initializer=my_init),
        tf.keras.layers.Dense(1),
    ])


def edit_params(net):
    net.layers[1].weights[0][:].assign(net.layers[1].weights[0] + 1)
    net.layers[1].weights[0][0, 0].assign(42)
