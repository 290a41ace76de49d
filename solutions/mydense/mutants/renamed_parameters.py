"""Mutant: keeps the parameters as self.w and self.b, not the contract's self.weight and self.bias
(the layer is otherwise right: it uses add_weight, computes relu(X @ w + b) and trains).

Fails: test_mydense_weights_are_built_on_first_call
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
        self.w = self.add_weight(name="w", shape=(input_shape[-1], self.units),
                                      initializer=tf.random_normal_initializer())
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")

    def call(self, X):
        return tf.nn.relu(tf.matmul(X, self.w) + self.b)
