"""Mutant: add_weight for the weight gets no initializer, so Keras uses its default, glorot_uniform (a
uniform draw), instead of a random normal initializer.

Fails: test_mydense_weight_is_random_normal
"""
import tensorflow as tf


class CenteredLayer(tf.keras.layers.Layer):
    """No parameters: subtracts the mean of the whole input tensor from every entry."""

    def __init__(self):
        super().__init__()

    def call(self, X):
        return X - tf.reduce_mean(X)


class MyDense(tf.keras.layers.Layer):
    """A fully connected layer with ReLU: relu(X @ weight + bias), built lazily."""

    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.weight = self.add_weight(name="weight", shape=(input_shape[-1], self.units))
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, X):
        return tf.nn.relu(tf.matmul(X, self.weight) + self.bias)
