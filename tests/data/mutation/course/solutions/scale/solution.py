"""Reference solution for `scale`."""
import tensorflow as tf


class Scale(tf.keras.layers.Layer):
    """Multiplies its input by `factor`."""

    def __init__(self, factor=2):
        super().__init__()
        self.factor = factor

    def call(self, X):
        return X * self.factor
