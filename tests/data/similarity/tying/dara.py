"""Dara's solution."""
import numpy as np
import tensorflow as tf

Dense = tf.keras.layers.Dense
Flatten = tf.keras.layers.Flatten
Sequential = tf.keras.Sequential


def build_tied_net(units=4):
    layer = Dense(units, activation="relu")
    return Sequential([Flatten(), layer, layer, Dense(1)])


def loss_and_tape(model, inputs, targets):
    tape = tf.GradientTape()
    with tape:
        outputs = model(inputs)
        loss = tf.keras.losses.mean_squared_error(tf.reshape(targets, [-1]), tf.reshape(outputs, [-1]))
    return loss, tape


def shared_gradient(net, X, y):
    loss, tape = loss_and_tape(net, X, y)
    kernel = [v for v in net.trainable_variables if v is net.layers[1].kernel][0]
    return np.asarray(tape.gradient(loss, kernel))


def train_tied(net, X, y, epochs=5, learning_rate=0.01):
    opt = tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.0)
    return [step(net, opt, X, y) for _ in range(epochs)]


def step(net, opt, X, y):
    loss, tape = loss_and_tape(net, X, y)
    opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))
    return float(loss)
