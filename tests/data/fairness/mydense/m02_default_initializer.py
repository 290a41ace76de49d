import tensorflow as tf
from tensorflow import keras


class CenteredLayer(keras.layers.Layer):
    def call(self, inputs):
        return inputs - tf.reduce_mean(inputs)


class MyDense(keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        # weight and bias, created once the input size is known
        self.weight = self.add_weight(name="weight", shape=(input_shape[-1], self.units))
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, X):
        return tf.nn.relu(X @ self.weight + self.bias)


net = keras.Sequential([MyDense(8), MyDense(1)])
print(net(tf.random.uniform((2, 64))))
