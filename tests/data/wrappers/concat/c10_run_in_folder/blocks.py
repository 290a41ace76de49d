import tensorflow as tf

class ConcatBlock(tf.keras.Model):
    """Runs two blocks on the same input and concatenates their outputs."""

    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        self.net2 = net2
        self.axis = axis

    def call(self, X):
        return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)

print('blocks ready')
