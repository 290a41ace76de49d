"""Mutant: ignores the axis argument (always the last axis).

Fails: test_axis_argument_is_used
"""
import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    """Runs two blocks on the same input and concatenates their outputs along `axis`."""

    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        self.net2 = net2
        self.axis = axis

    def call(self, X):
        return tf.concat([self.net1(X), self.net2(X)], axis=-1)
