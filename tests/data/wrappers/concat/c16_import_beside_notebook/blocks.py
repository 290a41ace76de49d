import tensorflow as tf

from settings import AXIS


class ConcatBlock(tf.keras.Model):
    """Runs two blocks on the same input and concatenates their outputs."""

    def __init__(self, net1, net2, axis=AXIS):
        super().__init__()
        self.net1 = net1
        self.net2 = net2
        self.axis = axis

    def call(self, X):
        return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)


if __name__ == "__main__":
    block = ConcatBlock(tf.keras.layers.Dense(3), tf.keras.layers.Dense(5))
    print(block(tf.random.normal((2, 4))).shape)
