"""Mutant: creates new layers inside call() instead of using net1 and net2."""
import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.units = (net1.units, net2.units)
        self.axis = axis

    def call(self, X):
        net1 = tf.keras.layers.Dense(self.units[0])
        net2 = tf.keras.layers.Dense(self.units[1])
        return tf.concat([net1(X), net2(X)], axis=self.axis)
