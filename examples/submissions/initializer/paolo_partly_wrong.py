"""Exercise `initializer` -- Paolo's submission (copies the lecture's float32 cast)."""
import tensorflow as tf


class MyInit(tf.keras.initializers.Initializer):
    def __call__(self, shape, dtype=None):
        data = tf.random.uniform(shape, -10, 10, dtype=dtype)
        factor = (tf.abs(data) >= 5)
        factor = tf.cast(factor, tf.float32)
        return data * factor

    def get_config(self):
        return {}


def build_net():
    return tf.keras.models.Sequential([
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(4, activation=tf.nn.relu, kernel_initializer=MyInit()),
        tf.keras.layers.Dense(1),
    ])


def edit_params(net):
    kernel = net.layers[1].weights[0]
    kernel.assign(kernel + 1)
    kernel[0, 0].assign(42)
