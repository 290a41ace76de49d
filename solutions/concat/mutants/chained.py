"""Mutant: feeds net1's output into net2.

Fails: test_output_shape, test_output_concatenates_both_blocks, test_different_widths_and_inputs,
    test_axis_argument_is_used, test_default_axis_is_last, test_lazy_subnets_are_built_by_the_first_call,
    test_gradients_reach_both_subnets, test_nests_inside_sequential
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
        return self.net2(self.net1(X))
