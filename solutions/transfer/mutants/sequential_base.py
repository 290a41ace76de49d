"""Mutant: a Sequential model [base, pooling, Dense] never calls the base with training=False, so
its BatchNormalization statistics move once fine_tune unfreezes it.

Fails: test_base_runs_in_inference_mode
"""
import tensorflow as tf


def build_transfer_model(base, num_classes):
    base.trainable = False
    model = tf.keras.Sequential([base, tf.keras.layers.GlobalAveragePooling2D(),
                                 tf.keras.layers.Dense(num_classes, activation="softmax")])
    model.compile(optimizer=tf.keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def fine_tune(model, base, learning_rate=1e-5):
    base.trainable = True
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
