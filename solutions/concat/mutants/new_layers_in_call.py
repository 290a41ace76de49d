"""Mutant: creates new layers inside call() instead of using net1 and net2.

It keeps net1 and net2 as attributes (so they are tracked) and only reads their widths: one
mistake, in call.

Fails: test_output_concatenates_both_blocks, test_different_widths_and_inputs, test_axis_argument_is_used,
    test_default_axis_is_last, test_lazy_subnets_are_built_by_the_first_call, test_gradients_reach_both_subnets,
    test_nests_inside_sequential
"""
import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        self.net2 = net2
        self.axis = axis

    def call(self, X):
        net1 = tf.keras.layers.Dense(self.net1.units)
        net2 = tf.keras.layers.Dense(self.net2.units)
        return tf.concat([net1(X), net2(X)], axis=self.axis)
