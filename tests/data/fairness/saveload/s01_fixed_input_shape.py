import numpy as np
import tensorflow as tf


def save_tensors(path, tensors):
    np.savez(path, **{k: np.array(v) for k, v in tensors.items()})


def load_tensors(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


class MLP(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.flatten = tf.keras.layers.Flatten()
        self.hidden = tf.keras.layers.Dense(256, activation=tf.nn.relu)
        self.out = tf.keras.layers.Dense(10)

    def call(self, X):
        return self.out(self.hidden(self.flatten(X)))


def save_params(net, path):
    net.save_weights(path)


def load_params(path, input_shape=(20,)):
    clone = MLP()
    clone(tf.random.uniform((2, 20)))   # as in the lecture
    clone.load_weights(path)
    return clone
