import tensorflow as tf


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1)
        super().__init__()
        self.net1, self.net2, self.axis = net1, net2, axis

    def call(self, X):
        return tf.concat([self.net1(X), self.net2(X)], self.axis)
