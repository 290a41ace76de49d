"""Mutant: stores weight and bias as plain tensors instead of add_weight variables.

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

    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.weight = tf.random.normal((input_shape[-1], self.units))
        self.bias = tf.zeros((self.units,))

    def call(self, X):
        return tf.nn.relu(tf.matmul(X, self.weight) + self.bias)
