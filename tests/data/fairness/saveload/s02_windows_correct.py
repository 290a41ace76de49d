import numpy as np
import tensorflow as tf


def save_tensors(path, tensors):
    arrays = {}
    for name, value in tensors.items():
        arrays[name] = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    np.savez(path, **arrays)


def load_tensors(path):
    data = np.load(path, allow_pickle=False)
    result = {name: data[name] for name in data.files}
    data.close()
    return result


class MLP(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.flatten = tf.keras.layers.Flatten()
        self.hidden = tf.keras.layers.Dense(256, activation="relu")
        self.output_layer = tf.keras.layers.Dense(10)

    def call(self, inputs):
        return self.output_layer(self.hidden(self.flatten(inputs)))


def save_params(net, path):
    net.save_weights(path)


def load_params(path, input_shape=(20,)):
    clone = MLP()
    clone(tf.zeros((1,) + tuple(input_shape)))
    clone.load_weights(path)
    return clone
