# -*- coding: utf-8 -*-
"""Hana — Übung 4: geteilte Parameter."""
import tensorflow as tf
from tensorflow.keras.layers import Dense, Flatten
from tensorflow.keras.models import Sequential

def build_tied_net(units=4):
    geteilt = Dense(units, activation="relu")   # dieselbe Schicht zweimal
    modell = Sequential()
    for schicht in (Flatten(), geteilt, geteilt, Dense(1)):
        modell.add(schicht)
    return modell

def verlust(modell, X, y):
    fehler = modell(X) - y
    return tf.reduce_mean(fehler * fehler)

def shared_gradient(net, X, y):
    kern = net.layers[1].kernel
    with tf.GradientTape(watch_accessed_variables=True) as band:
        wert = verlust(net, X, y)
    return band.gradient(wert, kern).numpy()

def train_tied(net, X, y, epochs=5, learning_rate=0.01):
    verlauf = []
    for _ in range(epochs):
        with tf.GradientTape() as band:
            wert = verlust(net, X, y)
        ableitungen = band.gradient(wert, net.trainable_variables)
        for parameter, ableitung in zip(net.trainable_variables, ableitungen):
            parameter.assign_sub(ableitung * learning_rate)
        verlauf.append(float(wert))
    return verlauf
