import numpy as np
import tensorflow as tf


def build_tied_net(units=4):
    flatten = tf.keras.layers.Flatten()
    relu_layer = tf.keras.layers.Dense(units, activation="relu")
    head = tf.keras.layers.Dense(1)
    return tf.keras.Sequential([flatten, relu_layer, relu_layer, head])


def _grads(net, X, y, variables):
    with tf.GradientTape() as tape:
        diff = tf.subtract(net(X, training=True), y)
        mse = tf.reduce_mean(tf.pow(diff, 2))
    return mse, tape.gradient(mse, variables)


def shared_gradient(net, X, y):
    _, (kernel_grad,) = _grads(net, X, y, [net.layers[1].kernel])
    return np.array(kernel_grad)


def train_tied(net, X, y, epochs=5, learning_rate=0.01):
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    curve = np.zeros(epochs)
    for k in range(epochs):
        mse, grads = _grads(net, X, y, net.trainable_variables)
        optimizer.apply_gradients(list(zip(grads, net.trainable_variables)))
        curve[k] = mse.numpy()
    return curve.tolist()
