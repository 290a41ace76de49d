"""Mutant: the head's Dense layer has a ReLU instead of the softmax: its outputs are not class
probabilities (the grader trains such a head on logits, so the rest is judged as usual).

Fails: test_head_outputs_class_probabilities
"""
import tensorflow as tf


class TransferModel(tf.keras.Model):
    """The pretrained base in inference mode, global average pooling, and a softmax classifier."""

    def __init__(self, base, num_classes):
        super().__init__()
        self.base = base
        self.pool = tf.keras.layers.GlobalAveragePooling2D() if len(base.output.shape) == 4 else None
        self.classifier = tf.keras.layers.Dense(num_classes, activation="relu")

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
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
