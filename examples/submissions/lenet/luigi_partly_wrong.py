"""LeNet - Luigi."""
import numpy as np
import tensorflow as tf


def to_channels_last(X):
    # single channel, as in the lecture
    return np.array(X, dtype=np.float32).reshape(-1, 28, 28, 1)


def build_lenet(activation="sigmoid"):
    return tf.keras.models.Sequential([
        tf.keras.Input(shape=(28, 28, 1)),
        tf.keras.layers.Conv2D(filters=6, kernel_size=5, activation=activation, padding='same'),
        tf.keras.layers.AvgPool2D(pool_size=2, strides=2),
        tf.keras.layers.Conv2D(filters=16, kernel_size=5, activation=activation),
        tf.keras.layers.AvgPool2D(pool_size=2, strides=2),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(120, activation=activation),
        tf.keras.layers.Dense(84, activation=activation),
        tf.keras.layers.Dense(10, activation="softmax")])


def flatten_size(height, width):
    # 30x30 -> pooling 15x15 -> second pooling 7x7, times 16 filters
    return 16 * (height // 2 // 2) * (width // 2 // 2)


model = build_lenet("relu")
model.summary()
