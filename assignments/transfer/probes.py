"""Probes for `transfer`: they run in the worker, load the project's pretrained base, hand it to
the student's functions, train on the project's offline images, and report plain data (flags,
optimizer settings, how far the base's weights and statistics moved, predictions). They never
judge anything.

One mistake must cost one clause, so where a probe needs a trained model to look at something
else it trains with the judge's own compile settings; only the fine-tuning fit, which is where
`fine_tune`'s compile is the thing checked, uses the student's (with the labels in whichever
form the student's loss accepts).

Several specs assert on the same training run. Each probe keeps its answer for the arguments it
was given, so the specs that send the same arguments share one run; the cache lives in this
worker process, which serves one submission only.
"""
import math

import numpy as np
import tensorflow as tf

from grader.offline_data import new_task
from grader.pretrained import load_base

_ANSWERS = {}


def _remembered(name, kwargs, compute):
    """The answer of probe `name` for these arguments, computed once per worker."""
    key = (name, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
    if key not in _ANSWERS:
        _ANSWERS[key] = compute()
    return _ANSWERS[key]


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


def _error(exc):
    return f"{type(exc).__name__}: {exc}"[:300]


def _flags(model, base):
    """Trainable flags of the base and its layers, and how many trainable variables belong to the base."""
    base_ids = {id(v) for v in base.weights}
    return {
        "base_trainable": bool(base.trainable),
        "base_layers": [{"name": layer.name, "kind": type(layer).__name__, "trainable": bool(layer.trainable)}
                        for layer in base.layers if layer.weights],
        "trainable_in_base": sum(id(v) in base_ids for v in model.trainable_weights),
    }


def _head_dense(model, base):
    """The model's Dense layers outside the base."""
    inside = {id(layer) for layer in base._flatten_layers()}
    return [layer for layer in model._flatten_layers(include_self=False)
            if id(layer) not in inside and isinstance(layer, tf.keras.layers.Dense)]


def _head(model, base):
    """The Dense layers of the model outside the base (units, activation, kernel shape), and the
    shapes of every variable outside the base."""
    base_ids = {id(v) for v in base.weights}
    dense = []
    for layer in _head_dense(model, base):
        activation = getattr(layer, "activation", None)
        dense.append({"units": int(layer.units),
                      "activation": getattr(activation, "__name__", type(activation).__name__),
                      "kernel_shape": list(layer.kernel.shape) if layer.built else None})
    return {"head": dense, "head_shapes": [list(v.shape) for v in model.weights if id(v) not in base_ids],
            "uses_base": any(id(v) in base_ids for v in model.weights)}


def _spy(layer, seen):
    """Record what `layer` is called with and returns (eager calls run `layer.call`, looked up on the
    instance); returns a function that puts the layer back as it was."""
    original = layer.call

    def call(*args, **kwargs):
        out = original(*args, **kwargs)
        seen.append((args[0] if args else None, out))
        return out

    layer.call = call
    return lambda: setattr(layer, "call", original)


def _pooling(model, base, X):
    """On X in inference mode: the feature map the base handed on, and what reached the head's Dense
    layer (when the head has exactly one). The judge compares the two: average pooling or not."""
    dense = _head_dense(model, base)
    if len(dense) != 1:
        return {"pool_in": None, "pool_out": None}
    from_base, to_dense = [], []
    restore = [_spy(base, from_base), _spy(dense[0], to_dense)]
    try:
        model(tf.constant(X), training=False)
    except Exception:  # noqa: BLE001 - a model that cannot be called shows nothing here
        pass
    finally:
        for undo in restore:
            undo()
    return {"pool_in": np.asarray(from_base[-1][1]) if len(from_base) == 1 else None,
            "pool_out": np.asarray(to_dense[-1][0]) if len(to_dense) == 1 else None}


def _compiled_loss(model, y, probabilities):
    """The model's compiled loss for integer labels y and the judge's class probabilities (not the
    model's output: the loss is judged on its own), or the error computing it raised."""
    try:
        loss = model.compute_loss(y=tf.constant(y), y_pred=tf.constant(probabilities), training=False)
        return {"loss": float(np.asarray(loss)), "loss_error": None}
    except Exception as exc:  # noqa: BLE001 - a loss that cannot take integer labels is the answer
        return {"loss": None, "loss_error": _error(exc)}


def build(sub, num_classes, data_seed, n, labels, probabilities):
    """build_transfer_model(base, num_classes): head, optimizer, output on n images, and the compiled
    loss on the judge's labels and probabilities."""
    kwargs = {"num_classes": num_classes, "data_seed": data_seed, "n": n, "labels": labels,
              "probabilities": probabilities}
    return _remembered("build", kwargs, lambda: _build(sub, int(num_classes), int(data_seed), int(n),
                                                       labels, probabilities))


def _build(sub, num_classes, data_seed, n, labels, probabilities):
    X, _ = new_task(n, data_seed)
    base = load_base()
    base_output = [int(d) for d in base.output.shape[1:]]
    model = sub.build_transfer_model(base, num_classes)
    if not isinstance(model, tf.keras.Model):
        return {"model": type(model).__name__, "base_output_shape": base_output}
    output = model(tf.constant(X), training=False)  # builds a lazily built head first
    report = {"model": "Model", "base_output_shape": base_output, **_head(model, base),
              **_training_setup(model), "compiled": bool(getattr(model, "compiled", False)),
              "output": np.asarray(output), "loss": None, "loss_error": None}
    if report["compiled"]:
        report.update(_compiled_loss(model, np.asarray(labels), np.asarray(probabilities, dtype=np.float32)))
    report.update(_pooling(model, base, X))
    return report


def _outputs_probabilities(model, X):
    out = np.asarray(model(tf.constant(X), training=False), dtype=np.float64)
    return bool(out.ndim == 2 and np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-4))


def _judge_compile(model, base, X):
    """The judge's own settings: Adam at 1e-2, sparse cross-entropy on what the model outputs. A head
    whose outputs are not probabilities trains on logits: its one Dense layer's activation (none, or a
    ReLU in place of the softmax: the head test's clause) is set to linear for that, so what the head
    outputs never decides whether the model can learn the task."""
    from_logits = not _outputs_probabilities(model, X[:8])
    dense = _head_dense(model, base)
    if from_logits and len(dense) == 1:
        dense[0].activation = tf.keras.activations.linear
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-2),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))


def _called_with_training_false(base):
    """True when a functional graph calls `base` with training=False: Keras 3 records each symbolic
    call's arguments on a node of the called layer (the base is new in every probe, so its nodes are
    the student's). Subclassed models make no such nodes."""
    for node in getattr(base, "_inbound_nodes", []):
        kwargs = getattr(getattr(node, "arguments", None), "kwargs", None) or {}
        if kwargs.get("training", None) is False:
            return True
    return False


def run(sub, data_seed, test_seed, n_train, n_test, epochs, batch_size, tune_n, tune_epochs, learning_rate,
        labels, probabilities):
    """The whole exercise once: build, train the head, fine-tune. See `_run` for what is reported."""
    kwargs = {"data_seed": data_seed, "test_seed": test_seed, "n_train": n_train, "n_test": n_test,
              "epochs": epochs, "batch_size": batch_size, "tune_n": tune_n, "tune_epochs": tune_epochs,
              "learning_rate": learning_rate, "labels": labels, "probabilities": probabilities}
    return _remembered("run", kwargs, lambda: _run(sub, **kwargs))


def _run(sub, data_seed, test_seed, n_train, n_test, epochs, batch_size, tune_n, tune_epochs, learning_rate,
         labels, probabilities):
    """Build the model, train its head with the judge's settings (reports how far the base moved and
    the predictions on held-out images), then fine_tune(model, base) and fine_tune(model, base,
    learning_rate) (reports the flags, optimizer and compiled loss on the judge's labels and
    probabilities after each) and fit with the student's compile (reports how far the base moved,
    in how many steps)."""
    X, y = new_task(int(n_train), int(data_seed))
    X_test, _ = new_task(int(n_test), int(test_seed))
    base = load_base()
    model = sub.build_transfer_model(base, 5)
    if not isinstance(model, tf.keras.Model):
        raise TypeError(f"build_transfer_model returned a {type(model).__name__}, not a Keras model")
    _judge_compile(model, base, X)
    before = _snapshot(base)
    model.fit(X, y, epochs=int(epochs), batch_size=int(batch_size), verbose=0)
    report = {"head_changes": _changes(before, base),
              "probabilities": np.asarray(model(tf.constant(X_test), training=False)),
              "training_false_in_graph": _called_with_training_false(base)}
    report.update(_fine_tuning(sub, model, base, X[:int(tune_n)], y[:int(tune_n)], int(tune_epochs),
                               int(batch_size), float(learning_rate)))
    if report["fine_tune_error"] is None:
        loss = _compiled_loss(model, np.asarray(labels), np.asarray(probabilities, dtype=np.float32))
        report.update(tune_loss=loss["loss"], tune_loss_error=loss["loss_error"])
    return report


def _fine_tuning(sub, model, base, X, y, epochs, batch_size, learning_rate):
    report = {"fine_tune_error": None, "tune_error": None, "base_changes": None, "judge_unfroze": False}
    try:
        returned_default = sub.fine_tune(model, base)
        report["default"] = _training_setup(returned_default if isinstance(returned_default, tf.keras.Model)
                                            else model)
        returned_explicit = sub.fine_tune(model, base, learning_rate=1e-5)
        report["explicit_default"] = _training_setup(returned_explicit if isinstance(returned_explicit, tf.keras.Model)
                                                     else model)
        returned = sub.fine_tune(model, base, learning_rate=learning_rate)
    except Exception as exc:  # noqa: BLE001 - the fine_tune tests say what it raised
        report["fine_tune_error"] = _error(exc)
        return report
    tuned = returned if isinstance(returned, tf.keras.Model) else model
    report.update({"returned_model": returned is model and returned_default is model and returned_explicit is model,
                   **_flags(tuned, base), **_training_setup(tuned)})
    if not base.trainable:  # so that recompiling is checked on its own, whether or not fine_tune unfroze
        base.trainable = True
        report["judge_unfroze"] = True
    before = _snapshot(base)
    try:
        _fit_with_student_compile(tuned, X, y, epochs, batch_size)
    except Exception as exc:  # noqa: BLE001
        report["tune_error"] = _error(exc)
        return report
    report["base_changes"] = _changes(before, base)
    report["steps"] = epochs * math.ceil(len(X) / batch_size)
    report["training_call_changes"] = _training_call_changes(tuned, base, X)
    return report


def _training_call_changes(model, base, X):
    """How far the base moved when the unfrozen model is called once with training=True. In Keras
    3.15 fit leaves the base of a subclassed model whose `call` takes no `training` argument in
    inference mode, while a direct call with training=True runs it in training mode: only this call
    shows that the base is called without training=False."""
    before = _snapshot(base)
    try:
        model(tf.constant(X[:32]), training=True)
    except Exception:  # noqa: BLE001 - a model that cannot be called so shows nothing here (fit is checked)
        return {}
    return _changes(before, base)


def _fit_with_student_compile(model, X, y, epochs, batch_size):
    """Fit with integer labels, or one-hot labels when the compiled loss rejects integers
    (categorical instead of sparse cross-entropy is checked by its own test)."""
    model.fit(X, _labels_for_compiled_loss(model, X, y), epochs=epochs, batch_size=batch_size, shuffle=False,
              verbose=0)


def _labels_for_compiled_loss(model, X, y):
    """`y` if the compiled loss takes integer labels, else `y` one-hot (tried before fit: a fit that
    fails half-way leaves Keras unable to train the model again)."""
    y_pred = model(tf.constant(X[:2]), training=False)
    try:
        model.compute_loss(x=tf.constant(X[:2]), y=tf.constant(y[:2]), y_pred=y_pred, training=False)
        return y
    except Exception:  # noqa: BLE001 - any loss that cannot take integers gets one-hot labels
        return np.eye(int(y_pred.shape[-1]), dtype=np.float32)[y]
