"""
Kim's homework.

Parameter tying: the same Dense layer object appears twice in the network, so the
two places share one kernel and one bias.
"""

import tensorflow as tf



def build_tied_net(units=4):
    # the layer we share
    dense = tf.keras.layers.Dense(units=units,
                                  activation=tf.nn.relu)
    # flatten -> shared -> shared -> output
    return tf.keras.models.Sequential(
        layers=[
            tf.keras.layers.Flatten(),
            dense,
            dense,
            tf.keras.layers.Dense(units=1),
        ]
    )



def shared_gradient(net, X, y):
    # GradientTape adds up the contributions of both uses for us
    with tf.GradientTape(persistent=False) as tape:
        tape.watch(net.layers[1].kernel)   # the shared kernel
        residual = net(X) - y              # prediction error
        # mean squared error, written out
        objective = tf.reduce_sum(residual ** 2) / tf.cast(tf.size(residual), tf.float32)
    return tape.gradient(objective, net.layers[1].kernel).numpy()



def train_tied(net, X, y, epochs=5, learning_rate=0.01):
    result = []   # loss per epoch
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            residual = net(X) - y
            objective = tf.reduce_sum(residual ** 2) / tf.cast(tf.size(residual), tf.float32)
        gradients = tape.gradient(objective, net.trainable_variables)
        # plain SGD, by hand
        for variable, gradient in zip(net.trainable_variables, gradients):
            variable.assign_sub(learning_rate * gradient)
        result.append(float(objective.numpy()))
    return result
