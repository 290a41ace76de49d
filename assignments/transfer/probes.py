"""Probes for `transfer`: they run in the worker, load the project's pretrained base, hand it to
the student's functions, train briefly on data the judge sent, and report plain data (flags,
counts, optimizer settings, how far the base's weights and statistics moved, predictions).
They never judge anything."""
import math

import numpy as np
import tensorflow as tf

from grader.pretrained import load_base


def _snapshot(base):
    """Every variable of the base (weights and BatchNormalization statistics), by its path."""
    return {v.path: np.array(v.numpy(), copy=True) for v in base.weights}


def _changes(before, base):
    """The largest absolute change of each base variable since `before`."""
    after = _snapshot(base)
    return {path: float(np.max(np.abs(after[path] - old))) for path, old in before.items()}


def _learning_rate(optimizer):
    try:
        return float(np.asarray(optimizer.learning_rate))
    except Exception:  # noqa: BLE001 - a schedule or an odd optimizer: report that it could not be read
        return None


def _training_setup(model):
    """The compiled optimizer's class and learning rate, or Nones when the model is not compiled."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return {"optimizer": None, "learning_rate": None}
    return {"optimizer": type(optimizer).__name__, "learning_rate": _learning_rate(optimizer)}


def _flags(model, base):
    """Trainable flags of the base and its layers, and which trainable variables belong to the base."""
    base_ids = {id(v) for v in base.weights}
    trainable = list(model.trainable_weights)
    return {
        "base_trainable": bool(base.trainable),
        "base_layers": [{"name": layer.name, "kind": type(layer).__name__, "trainable": bool(layer.trainable)}
                        for layer in base.layers if layer.weights],
        "trainable_shapes": [list(v.shape) for v in trainable],
        "trainable_in_base": sum(id(v) in base_ids for v in trainable),
        "uses_base": any(id(v) in base_ids for v in model.weights),
    }


def _head(model, base):
    """The Dense layers of the model outside the base: units, activation name, kernel shape."""
    inside = {id(layer) for layer in base._flatten_layers()}
    head = []
    for layer in model._flatten_layers(include_self=False):
        if id(layer) in inside or not isinstance(layer, tf.keras.layers.Dense):
            continue
        activation = getattr(layer, "activation", None)
        head.append({"units": int(layer.units),
                     "activation": getattr(activation, "__name__", type(activation).__name__),
                     "kernel_shape": list(layer.kernel.shape) if layer.built else None})
    return head


def build(sub, num_classes, X, y):
    """build_transfer_model(base, num_classes): flags, head, optimizer, output and compiled loss on X, y."""
    base = load_base()
    base_output = [int(d) for d in base.output.shape[1:]]
    model = sub.build_transfer_model(base, int(num_classes))
    if not isinstance(model, tf.keras.Model):
        return {"model": type(model).__name__, "base_output_shape": base_output}
    probabilities = model(tf.constant(X), training=False)  # builds a lazily built head first
    report = {"model": "Model", "base_output_shape": base_output, **_flags(model, base),
              **_training_setup(model), "compiled": bool(getattr(model, "compiled", False)),
              "head": _head(model, base), "output": probabilities, "loss": None}
    if report["compiled"]:
        loss = model.compute_loss(x=tf.constant(X), y=tf.constant(y), y_pred=probabilities, training=False)
        report["loss"] = float(np.asarray(loss))
    return report


def head_training(sub, X, y, X_test, epochs, batch_size):
    """Fit the model from build_transfer_model(base, 5) on (X, y); report base changes and test outputs."""
    base = load_base()
    before = _snapshot(base)
    model = sub.build_transfer_model(base, 5)
    model.fit(X, y, epochs=int(epochs), batch_size=int(batch_size), verbose=0)
    return {"base_changes": _changes(before, base),
            "probabilities": model.predict(X_test, batch_size=256, verbose=0)}


def fine_tuning(sub, X, y, head_epochs, tune_epochs, batch_size, learning_rate=None):
    """Build and fit the head, then fine_tune(model, base[, learning_rate]) and fit again.

    Reports what fine_tune returned, the trainable flags and optimizer after it, and how far
    each base variable moved during the fine-tuning fit (and in how many optimizer steps)."""
    base = load_base()
    model = sub.build_transfer_model(base, 5)
    model.fit(X, y, epochs=int(head_epochs), batch_size=int(batch_size), verbose=0)
    kwargs = {} if learning_rate is None else {"learning_rate": float(learning_rate)}
    returned = sub.fine_tune(model, base, **kwargs)
    tuned = returned if isinstance(returned, tf.keras.Model) else model
    report = {"returned_model": returned is model, **_flags(tuned, base), **_training_setup(tuned)}
    before = _snapshot(base)
    tuned.fit(X, y, epochs=int(tune_epochs), batch_size=int(batch_size), shuffle=False, verbose=0)
    report["base_changes"] = _changes(before, base)
    report["steps"] = int(tune_epochs) * math.ceil(len(X) / int(batch_size))
    return report
