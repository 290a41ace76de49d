"""Ivan: parameter tying."""
import numpy as np
import tensorflow as tf


def build_tied_net(units=4):
    tied_layer = tf.keras.layers.Dense(units, activation="relu")
    model = tf.keras.Sequential([tf.keras.layers.Flatten(), tied_layer, tied_layer, tf.keras.layers.Dense(1)])
    return model


def squared_error(model, inputs, targets):
    return tf.reduce_mean(tf.square(model(inputs) - targets))


def shared_gradient(net, X, y):
    with tf.GradientTape() as recorder:
        value = squared_error(net, X, y)
    derivative = recorder.gradient(value, net.layers[1].kernel)
    return derivative.numpy()


def train_tied(net, X, y, epochs=5, learning_rate=0.01):
    sgd = tf.keras.optimizers.SGD(learning_rate)
    curve = []
    for step in range(epochs):
        with tf.GradientTape() as recorder:
            value = squared_error(net, X, y)
        derivatives = recorder.gradient(value, net.trainable_variables)
        sgd.apply_gradients(zip(derivatives, net.trainable_variables))
        curve.append(float(value))
    return curve
