import tensorflow as tf


def build_tied_net(units=4):
    dense = tf.keras.layers.Dense(units=units, activation=tf.nn.relu)
    return tf.keras.models.Sequential(layers=[
        tf.keras.layers.Flatten(),
        dense,
        dense,
        tf.keras.layers.Dense(units=1),
    ])


def shared_gradient(net, X, y):
    """d(MSE)/d(shared kernel), both uses summed by the tape."""
    with tf.GradientTape(persistent=False) as tape:
        tape.watch(net.layers[1].kernel)
        residual = net(X) - y
        objective = tf.reduce_sum(residual ** 2) / tf.cast(tf.size(residual), tf.float32)
    return tape.gradient(objective, net.layers[1].kernel).numpy()


def train_tied(net, X, y, epochs=5, learning_rate=0.01):
    result = []
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            residual = net(X) - y
            objective = tf.reduce_sum(residual ** 2) / tf.cast(tf.size(residual), tf.float32)
        gradients = tape.gradient(objective, net.trainable_variables)
        for variable, gradient in zip(net.trainable_variables, gradients):
            variable.assign_sub(learning_rate * gradient)
        result.append(float(objective.numpy()))
    return result
