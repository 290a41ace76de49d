import tensorflow as tf

INIT = tf.random_normal_initializer(stddev=1.0)
ACTIVATION = tf.nn.relu


class CenteredLayer(tf.keras.layers.Layer):
    def __init__(self):
        super().__init__()

    def call(self, X):
        return X - tf.reduce_mean(X)


class MyDense(tf.keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.weight = self.add_weight(name="weight", shape=(input_shape[-1], self.units), initializer=INIT)
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, X):
        return ACTIVATION(tf.matmul(X, self.weight) + self.bias)


print(MyDense(3)(tf.ones((2, 5))))
