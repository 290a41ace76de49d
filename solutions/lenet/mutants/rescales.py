"""Mutant: to_channels_last also divides the pixels by 255 (the usual preprocessing, but the contract
asks for the same values, reshaped).

Fails: test_to_channels_last_on_flat_images, test_to_channels_last_on_square_images
"""
import numpy as np
import tensorflow as tf


def to_channels_last(X):
    """(N, 28, 28) or (N, 784) -> (N, 28, 28, 1) float32, each image's pixels in the same order."""
    X = np.asarray(X)
    if X.ndim == 3 and X.shape[1:] == (28, 28) or X.ndim == 2 and X.shape[1] == 784:
        return (X.reshape(-1, 28, 28, 1) / 255).astype(np.float32)
    raise ValueError(f"expected images of shape (N, 28, 28) or (N, 784), got {X.shape}")


def build_lenet(activation="sigmoid"):
    """The lecture's LeNet for (28, 28, 1) inputs, uncompiled."""
    return tf.keras.Sequential([
        tf.keras.Input(shape=(28, 28, 1)),
        tf.keras.layers.Conv2D(filters=6, kernel_size=5, activation=activation, padding="same"),
        tf.keras.layers.AvgPool2D(pool_size=2, strides=2),
        tf.keras.layers.Conv2D(filters=16, kernel_size=5, activation=activation),
        tf.keras.layers.AvgPool2D(pool_size=2, strides=2),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(120, activation=activation),
        tf.keras.layers.Dense(84, activation=activation),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])


def flatten_size(height, width):
    """Features reaching the first Dense layer for a height x width x 1 input."""
    h, w = height // 2, width // 2          # Conv2D(padding="same") keeps the size; the pool halves it
    h, w = (h - 4) // 2, (w - 4) // 2       # Conv2D(5) without padding loses 4; the pool halves again
    return 16 * h * w
