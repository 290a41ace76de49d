"""Exercise `tying` -- Marco's submission (returns a tensor, and a default learning rate of 0.1)."""
import tensorflow as tf


def build_tied_net(units=4):
    shared = tf.keras.layers.Dense(units, activation="relu")
    return tf.keras.Sequential([tf.keras.layers.Flatten(), shared, shared, tf.keras.layers.Dense(1)])


def shared_gradient(net, X, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((net(X) - y) ** 2)
    return tape.gradient(loss, net.layers[1].kernel)


def train_tied(net, X, y, epochs=5, learning_rate=0.1):
    opt = tf.keras.optimizers.SGD(learning_rate)
    losses = []
    for epoch in range(epochs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((net(X) - y) ** 2)
        grads = tape.gradient(loss, net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))
        losses.append(loss.numpy())
    return losses
