# Matteo - esercizio saveload
import numpy as np
import tensorflow as tf


def save_tensors(path, tensors):
    # as in the lecture: np.save of a dict of tensors
    mydict = {k: np.asarray(v) for k, v in tensors.items()}
    with open(path, "wb") as f:
        np.save(f, mydict)


def load_tensors(path):
    mydict2 = np.load(path, allow_pickle=True)
    return mydict2.item()


class MLP(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.flatten = tf.keras.layers.Flatten()
        self.hidden = tf.keras.layers.Dense(units=256, activation=tf.nn.relu)
        self.out = tf.keras.layers.Dense(units=10)

    def call(self, inputs):
        x = self.flatten(inputs)
        x = self.hidden(x)
        return self.out(x)


def save_params(net, path):
    net.save_weights(path)


def load_params(path, input_shape=(20,)):
    clone = MLP()
    clone(tf.zeros((1,) + tuple(input_shape)))
    clone.load_weights(path)
    return clone


net = MLP()
X = tf.random.uniform((2, 20))
Y = net(X)
save_params(net, "mlp.weights.h5")
clone = load_params("mlp.weights.h5")
print(clone(X) == Y)
