"""Parameter tying (Farah)."""
import tensorflow as tf


class Objective:
    """Mean squared error, with the tape kept for gradients."""

    def __init__(self, net):
        self.net = net

    def __call__(self, X, y):
        pred = self.net(X)
        return tf.math.reduce_mean(tf.math.squared_difference(pred, tf.cast(y, pred.dtype)))


def build_tied_net(units=4):
    sh = tf.keras.layers.Dense(units, activation="relu")
    layers_list = [tf.keras.layers.Flatten()] + [sh] * 2 + [tf.keras.layers.Dense(1)]
    return tf.keras.Sequential(layers_list)


def shared_gradient(net, X, y):
    objective = Objective(net)
    target = net.layers[1].weights[0]
    with tf.GradientTape() as tape:
        value = objective(X, y)
    (grad,) = tape.gradient(value, [target])
    return grad.numpy()


def train_tied(net, X, y, epochs=5, learning_rate=0.01):
    objective = Objective(net)
    optimizer = tf.keras.optimizers.SGD(learning_rate)
    out = []
    for epoch_index in range(int(epochs)):
        with tf.GradientTape() as tape:
            value = objective(X, y)
        weights = net.trainable_variables
        optimizer.apply(tape.gradient(value, weights), weights)
        out.append(float(value))
    return out
