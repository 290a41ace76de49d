"""Accepted: the lecture's and the Keras guide's functional model with base(inputs, training=False).

Keras 3's fit overrides that flag once fine_tune unfreezes the base, so BatchNormalization
statistics move (keras-team/keras#20285); the contract counts the idiom as right. It must score
full marks with the Keras 3 note in its report: tests/test_lecture_style.py grades it.
"""
import tensorflow as tf


def build_transfer_model(base, num_classes):
    base.trainable = False
    inputs = tf.keras.Input(shape=base.input.shape[1:])
    x = base(inputs, training=False)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    outputs = tf.keras.layers.Dense(num_classes, activation="softmax")(x)
    model = tf.keras.Model(inputs, outputs)
    model.compile(optimizer=tf.keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def fine_tune(model, base, learning_rate=1e-5):
    base.trainable = True
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
