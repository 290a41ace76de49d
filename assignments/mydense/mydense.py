"""Exercise `mydense`: custom layers, one without parameters and one with.

Fill in `CenteredLayer` and `MyDense`. Check your work with:  grader check mydense mydense.py
"""
import tensorflow as tf


class CenteredLayer(tf.keras.layers.Layer):
    """No parameters: subtracts the mean of the whole input tensor from every entry."""

    def __init__(self):
        super().__init__()

    def call(self, X):
        # TODO: return X - tf.reduce_mean(X)
        raise NotImplementedError("CenteredLayer.call is not written yet")


class MyDense(tf.keras.layers.Layer):
    """A fully connected layer with ReLU: relu(X @ weight + bias), built lazily."""

    def __init__(self, units):
        super().__init__()
        # TODO: keep `units`; create no weights here (the input size is not known yet).

    def build(self, input_shape):
        # TODO: with self.add_weight, create self.weight of shape (input_shape[-1], units)
        # from a random normal initializer, and self.bias of shape (units,) initialized to zeros.
        raise NotImplementedError("MyDense.build is not written yet")

    def call(self, X):
        # TODO: return relu(X @ weight + bias)
        raise NotImplementedError("MyDense.call is not written yet")
