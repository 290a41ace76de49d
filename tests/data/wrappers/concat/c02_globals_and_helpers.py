"""HW 3 - ConcatBlock (student: A. Student)"""
import tensorflow as tf

AXIS = -1
DEFAULTS = {}
for key, value in [("axis", AXIS), ("name", "concat")]:
    DEFAULTS[key] = value
    print("default", key, value)


def _join(tensors, axis=DEFAULTS["axis"]):
    return tf.concat(tensors, axis=axis)


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=AXIS):
        super().__init__()
        self.net1, self.net2, self.axis = net1, net2, axis

    def call(self, X):
        return _join([self.net1(X), self.net2(X)], axis=self.axis)


block = ConcatBlock(tf.keras.layers.Dense(3), tf.keras.layers.Dense(5))
print(block(tf.ones((2, 4))).shape)
block.summary()
