import tensorflow as tf

# one layer object, two positions in the model
def build_tied_net(units=4):
    hidden = tf.keras.layers.Dense(units, activation="relu", name="shared")
    net = tf.keras.Sequential(name="tied")
    for layer in [tf.keras.layers.Flatten(), hidden, hidden, tf.keras.layers.Dense(1, name="out")]:
        net.add(layer)
    return net

def shared_gradient(net, X, y):
    X = tf.constant(X, tf.float32)
    with tf.GradientTape() as t:
        l = tf.reduce_mean((net(X) - y) * (net(X) - y))
    g = t.gradient(l, net.get_layer("shared").kernel)
    return g.numpy()

def train_tied(net, X, y, epochs=5, learning_rate=0.01):
    losses = list()
    for i in range(epochs):
        with tf.GradientTape() as t:
            l = tf.reduce_mean((net(X) - y) * (net(X) - y))
        dw = t.gradient(l, net.trainable_weights)
        for w, d in zip(net.trainable_weights, dw):
            w.assign(w - learning_rate * d)
        losses += [l.numpy().item()]
    return losses

if __name__ == "__main__":
    X = tf.random.normal((8, 4))
    y = tf.random.normal((8, 1))
    n = build_tied_net()
    print(shared_gradient(n, X, y).shape)
    print(train_tied(n, X, y))
