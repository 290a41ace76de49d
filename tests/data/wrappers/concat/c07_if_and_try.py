import tensorflow as tf
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None

USE_GPU = len(tf.config.list_physical_devices("GPU")) > 0
if USE_GPU:
    class ConcatBlock(tf.keras.Model):
        """Runs two blocks on the same input and concatenates their outputs."""

        def __init__(self, net1, net2, axis=-1):
            super().__init__()
            self.net1 = net1
            self.net2 = net2
            self.axis = axis

        def call(self, X):
            return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)

else:
    print("no GPU, same block on the CPU")
    class ConcatBlock(tf.keras.Model):
        """Runs two blocks on the same input and concatenates their outputs."""

        def __init__(self, net1, net2, axis=-1):
            super().__init__()
            self.net1 = net1
            self.net2 = net2
            self.axis = axis

        def call(self, X):
            return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)


if plt is not None:
    plt.plot([1, 2, 3])
