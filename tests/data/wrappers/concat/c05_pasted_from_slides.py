import tensorflow as tf

# Slide 12: a block that runs two blocks and concatenates them
class ConcatBlock(tf.keras.Model):
    """Runs two blocks on the same input and concatenates their outputs."""

    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1 = net1
        self.net2 = net2
        self.axis = axis

    def call(self, X):
        return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)

# Slide 13: try it
blk = ConcatBlock(tf.keras.layers.Dense(3), tf.keras.layers.Dense(5))
print(blk(tf.ones((2, 4))).shape)
