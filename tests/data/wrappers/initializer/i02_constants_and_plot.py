import tensorflow as tf
import matplotlib.pyplot as plt

LOW, HIGH = 5, 10
HIDDEN = [4]


class MyInit(tf.keras.initializers.Initializer):
    def __call__(self, shape, dtype=None):
        dtype = dtype or "float32"
        data = tf.random.uniform(shape, -HIGH, HIGH, dtype=dtype)
        return data * tf.cast(tf.abs(data) >= LOW, dtype)

    def get_config(self):
        return {}


def build_net():
    layers = [tf.keras.layers.Flatten()]
    layers += [tf.keras.layers.Dense(n, activation="relu", kernel_initializer=MyInit()) for n in HIDDEN]
    return tf.keras.Sequential(layers + [tf.keras.layers.Dense(1)])


def edit_params(net):
    kernel = net.layers[1].weights[0]
    kernel.assign(kernel + 1)
    kernel[0, 0].assign(42)


net = build_net()
net(tf.zeros((1, 20)))
plt.hist(net.layers[1].weights[0].numpy().ravel(), bins=30)
plt.show()
