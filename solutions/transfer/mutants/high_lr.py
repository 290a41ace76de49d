"""Mutant: fine_tune recompiles with Adam's default learning rate (1e-3), ignoring learning_rate.

Fails: test_fine_tune_uses_the_learning_rate_given
"""
import tensorflow as tf


class TransferModel(tf.keras.Model):
    """The pretrained base in inference mode, global average pooling, and a softmax classifier."""

    def __init__(self, base, num_classes):
        super().__init__()
        self.base = base
        self.pool = tf.keras.layers.GlobalAveragePooling2D() if len(base.output.shape) == 4 else None
        self.classifier = tf.keras.layers.Dense(num_classes, activation="softmax")

    def call(self, X):
        features = self.base(X, training=False)
        if self.pool is not None:
            features = self.pool(features)
        return self.classifier(features)


def build_transfer_model(base, num_classes):
    """Freeze `base`, put a new softmax head on it, compile with Adam, and return the model."""
    base.trainable = False
    model = TransferModel(base, num_classes)
    model.compile(optimizer=tf.keras.optimizers.Adam(),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fine_tune(model, base, learning_rate=1e-5):
    """Unfreeze `base` and recompile `model` with Adam at a low learning rate."""
    base.trainable = True
    model.compile(optimizer=tf.keras.optimizers.Adam(),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
