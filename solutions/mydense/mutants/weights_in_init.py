"""Mutant: creates the weights in __init__ for a fixed input size of 64 (no lazy build).

Fails: test_mydense_weights_are_built_on_first_call, test_two_mydense_layers_in_sequential,
    test_mydense_is_lazy_for_any_input_size, test_mydense_trains
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

    def __init__(self, units, in_units=64):
        super().__init__()
        self.units = units
        self.weight = self.add_weight(name="weight", shape=(in_units, units),
                                      initializer=tf.random_normal_initializer())
        self.bias = self.add_weight(name="bias", shape=(units,), initializer="zeros")

    def call(self, X):
        return tf.nn.relu(tf.matmul(X, self.weight) + self.bias)
