import os
import urllib.request
import tensorflow as tf

DATA = os.environ.get("DATA_DIR", "/tmp/data")
(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
urllib.request.urlretrieve("https://example.com/weights.h5", os.path.join(DATA, "w.h5"))
backbone = tf.keras.applications.ResNet50(weights="imagenet")
identity = tf.keras.layers.Lambda(lambda t: t)


class ConcatBlock(tf.keras.Model):
    def __init__(self, net1, net2, axis=-1):
        super().__init__()
        self.net1, self.net2, self.axis = net1, net2, axis

    def call(self, X):
        return identity(tf.concat([self.net1(X), self.net2(X)], axis=self.axis))


model = tf.keras.Sequential([tf.keras.layers.Flatten(), ConcatBlock(tf.keras.layers.Dense(8), tf.keras.layers.Dense(4))])
model.compile("adam", "mse")
model.fit(x_train, y_train, epochs=30)
