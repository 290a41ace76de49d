"""Mutant: a default axis of 1 instead of -1 (same on 2-D inputs, wrong on 3-D).

Fails: test_default_axis_is_last
"""
import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=1):
        super().__init__()
        self.net1 = net1
        self.net2 = net2
        self.axis = axis

    def call(self, X):
        return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)
