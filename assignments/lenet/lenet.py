"""Exercise `lenet`: LeNet and the channel reshape.

Prepare 28 x 28 grey images for a convolutional network, build the lecture's
LeNet variant, and work out how many features reach its first Dense layer.

Check your work with:  grader check lenet lenet.py
"""
import numpy as np
import tensorflow as tf


def to_channels_last(X):
    """Return X, of shape (N, 28, 28) or (N, 784), as a float32 array of shape (N, 28, 28, 1).

    Each image keeps its pixels in the same order (row by row). Any other input
    shape raises ValueError.
    """
    # TODO
    raise NotImplementedError("to_channels_last is not written yet")


def build_lenet(activation="sigmoid"):
    """Return the lecture's LeNet for (28, 28, 1) inputs, not compiled.

    Conv2D(6, 5, padding="same") -> AvgPool2D(2, 2) -> Conv2D(16, 5) -> AvgPool2D(2, 2)
    -> Flatten -> Dense(120) -> Dense(84) -> Dense(10, softmax); the convolutions and
    the two hidden Dense layers use `activation`.
    """
    # TODO
    raise NotImplementedError("build_lenet is not written yet")


def flatten_size(height, width):
    """How many features reach the first Dense layer of LeNet for a height x width x 1 input (400 for 28 x 28)."""
    # TODO
    raise NotImplementedError("flatten_size is not written yet")
