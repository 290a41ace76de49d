"""Hidden specs for `transfer` (grader only). Each checks one clause of the contract and names the
mistake it exists to catch; the others do not depend on it (see the public spec's docstring).

All fine-tuning tests read the one shared run (`shared_run`): after the head trained, fine_tune is
called once with its default and once with a learning rate drawn from [5e-6, 4e-5], and the model
is fitted as fine_tune compiled it on 96 images, 2 epochs, batch 32: 6 Adam steps. Adam moves each
weight by about the learning rate per step, so the largest change of a base weight is about
steps x learning_rate (measured with the reference: 1.00 of it); with Adam's default 1e-3 the
weights can move 1e-3 / learning_rate (25 to 200) times as far. MAX_STEP_RATIO = 3 sits between;
the optimizer's learning rate is also read directly.
"""
import numpy as np

from grader.spec import check, clause, fail, points, public_spec

public = public_spec("transfer")
JUDGE_COMPILE = ("Adam", 1e-2)  # how the shared run compiles the model before fine_tune (the probes' _judge_compile)
MAX_STEP_RATIO = 3.0


def largest_weight_change(changes):
    return max([c for name, c in changes.items() if "moving_" not in name] or [0.0])


def fine_tuned(submission):
    """The shared run, past a fine_tune that did not raise."""
    answer = public.shared_run(submission)
    if answer["fine_tune_error"]:
        fail(f"fine_tune(model, base) raised {answer['fine_tune_error']}.")
    return answer


def fitted_after_fine_tune(submission):
    """The shared run, past the fit that follows fine_tune (with the model as fine_tune compiled it)."""
    answer = fine_tuned(submission)
    if answer["tune_error"]:
        fail(f"Training the model after fine_tune raised {answer['tune_error']}.")
    return answer


@points(0.5)
@clause(public.COMPILE)
def test_compiled_with_adam(submission):
    """Catches: another optimizer, no compile."""
    answer, _ = public.built(submission)
    check(answer["compiled"] and answer["optimizer"] is not None,
          "build_transfer_model should compile the model before returning it.")
    check(answer["optimizer"] == "Adam", f"The model should be compiled with Adam, not {answer['optimizer']}.")


def is_sparse_cross_entropy(loss, probabilities, labels):
    """The loss the judge expects for these integer labels and probabilities: sparse categorical
    cross-entropy of the probabilities, or of their softmax (from_logits=True, for a head without
    softmax, is sparse cross-entropy too)."""
    P, y = np.asarray(probabilities, dtype=np.float64), np.asarray(labels)
    softmax = np.exp(P - P.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    expected = [-np.mean(np.log(P[rows, y])), -np.mean(np.log(softmax[rows, y]))]
    return any(bool(np.isclose(loss, e, rtol=1e-3, atol=1e-5)) for e in expected)


@points(0.5)
@clause(public.COMPILE)
def test_compiled_with_sparse_cross_entropy(submission):
    """Catches: a loss other than sparse categorical cross-entropy (categorical cross-entropy with
    integer labels, mean squared error), no compile. The compiled loss is evaluated on the judge's
    labels and probabilities, not on the model's output."""
    answer, kwargs = public.built(submission)
    check(answer["compiled"], "build_transfer_model should compile the model before returning it.")
    check(answer["loss"] is not None, "The compiled loss does not accept integer labels "
          f"({answer['loss_error']}): the labels are integers 0..num_classes-1, so use "
          "loss='sparse_categorical_crossentropy'.")
    check(is_sparse_cross_entropy(answer["loss"], kwargs["probabilities"], kwargs["labels"]),
          "The compiled loss is not sparse categorical cross-entropy on integer labels "
          "(loss='sparse_categorical_crossentropy').")


@points(1)
@clause(public.HEAD)
def test_head_pools_before_one_dense_layer(submission):
    """Catches: Flatten instead of pooling, max instead of average pooling, extra layers in the head,
    a fresh base instead of the one given. The pooling is read where it happens: the base's feature
    map and the Dense layer's input, recorded on one call (so a model that rescales its inputs
    first, a mistake of its own, still pools right here). The mean and the max of a feature map
    agree only where every position is equal, which no image of the task makes."""
    answer, kwargs = public.built(submission)
    channels = answer["base_output_shape"][-1]
    check(answer["uses_base"], "The model does not contain the base passed to build_transfer_model.")
    dense = answer["head"]
    kernel = dense[-1]["kernel_shape"] if dense else None
    if kernel and kernel[0] != channels:
        fail(f"The Dense layer of the head sees {kernel[0]} features, not the base's {channels} channels: "
             "pool the base's feature map with GlobalAveragePooling2D before the Dense layer.")
    units = kernel[1] if kernel else None
    expected = sorted([[channels, units], [units]])
    shapes = sorted(answer["head_shapes"])
    check(len(dense) == 1 and shapes == expected,
          f"The head should be one Dense layer on the {channels} pooled channels (weights of shapes "
          f"{[[channels, 'units'], ['units']]}), but the model has weights of shapes {shapes} outside the base.")
    features, pooled = answer["pool_in"], answer["pool_out"]
    check(features is not None and pooled is not None and np.ndim(features) == 4,
          "Calling the model did not run the base once and then the head's Dense layer once on its output.")
    check(np.shape(pooled) == np.shape(features)[:1] + np.shape(features)[-1:]
          and np.allclose(pooled, np.mean(features, axis=(1, 2)), rtol=1e-4, atol=1e-5),
          "The Dense layer of the head does not get the average of the base's feature map over its height "
          "and width: pool it with GlobalAveragePooling2D (not GlobalMaxPooling2D).")


@points(1)
@clause(public.INFERENCE)
def test_base_runs_in_inference_mode(submission):
    """Catches: a base called without training=False (its BatchNormalization statistics move while
    fine-tuning: in fit, or when the model is called with training=True; the second shows a
    subclassed model whose `call` takes no `training` argument, whose base fit leaves in inference
    mode in Keras 3.15). The lecture's functional base(inputs, training=False) counts as right even
    though Keras 3 moves the statistics then (the public note test explains it)."""
    answer = fitted_after_fine_tune(submission)
    stats = sorted(set(public.moved(answer["base_changes"], True))
                   | set(public.moved(answer.get("training_call_changes") or {}, True)))
    check(not stats or answer["training_false_in_graph"],
          f"While fine-tuning, the base's BatchNormalization moving statistics changed ({', '.join(stats)}): "
          "call the base with training=False (in a subclassed model's call: self.base(X, training=False)).")


@points(1)
@clause(public.UNFREEZE)
def test_fine_tune_unfreezes_the_base(submission):
    """Catches: a fine_tune that leaves the base frozen, or returns something else than the model."""
    answer = fine_tuned(submission)
    check(answer["returned_model"], "fine_tune should return the model it was given.")
    check(answer["base_trainable"], "After fine_tune the base should be trainable (base.trainable = True).")
    frozen = [layer["name"] for layer in answer["base_layers"]
              if not layer["trainable"] and "BatchNormalization" not in layer["kind"]]
    check(not frozen, f"After fine_tune these layers of the base are still frozen: {', '.join(frozen)}.")
    check(answer["trainable_in_base"] > 0, "After fine_tune none of the base's weights are trainable.")


@points(1)
@clause(public.RECOMPILE)
def test_fine_tune_recompiles(submission):
    """Catches: fine-tuning without recompiling (Keras 3 then keeps training the head only).
    Where fine_tune left the base frozen, the run unfreezes it before this fit: that is the unfreeze
    test's point, not this one's."""
    answer = fitted_after_fine_tune(submission)
    check(largest_weight_change(answer["base_changes"]) > 0,
          "After fine_tune, training the model did not change any of the base's weights: recompile the model "
          "after changing `trainable` (Keras uses the trainable weights it found when the model was compiled).")


def _check_optimizer(setup, call, wanted):
    __tracebackhide__ = True
    check(setup["optimizer"] == "Adam", f"After {call} the model should be compiled with Adam, "
          f"not {setup['optimizer']}.")
    got = setup["learning_rate"]
    check(got is not None and bool(np.isclose(got, wanted, rtol=1e-3, atol=0)),
          f"After {call} the optimizer's learning rate is "
          f"{'unreadable' if got is None else format(got, '.2g')}, not {wanted:.2g}.")


@points(0.5)
@clause(public.RECOMPILE)
def test_fine_tune_keeps_sparse_cross_entropy(submission):
    """Catches: a fine_tune that recompiles with another loss (categorical cross-entropy with the
    task's integer labels). Judged on the judge's labels and probabilities, after fine_tune."""
    answer = fine_tuned(submission)
    kwargs = public.run_arguments(submission)
    check(answer["tune_loss"] is not None, "After fine_tune the compiled loss does not accept integer labels "
          f"({answer['tune_loss_error']}): recompile with loss='sparse_categorical_crossentropy'.")
    check(is_sparse_cross_entropy(answer["tune_loss"], kwargs["probabilities"], kwargs["labels"]),
          "After fine_tune the compiled loss is not sparse categorical cross-entropy on integer labels: "
          "recompile with loss='sparse_categorical_crossentropy'.")


@points(0.5)
@clause(public.RECOMPILE)
def test_fine_tune_uses_the_learning_rate_given(submission):
    """Catches: an ignored learning_rate (Adam's default 1e-3 instead), another optimizer."""
    answer = fine_tuned(submission)
    wanted = public.run_arguments(submission)["learning_rate"]
    call = f"fine_tune(model, base, learning_rate={wanted:.2g})"
    _check_optimizer(answer, call, wanted)
    if answer["tune_error"] is None:
        ratio = largest_weight_change(answer["base_changes"]) / (answer["steps"] * wanted)
        check(ratio <= MAX_STEP_RATIO, f"After {call} the base's weights moved far more than Adam at a "
              f"learning rate of {wanted:.2g} moves them: fine-tune at the learning rate given.")


@points(0.5)
@clause(public.TUNE_DEFAULT)
def test_fine_tune_defaults_to_1e_5(submission):
    """Catches: a default learning rate other than 1e-5. Judged by comparing fine_tune(model, base) with
    fine_tune(model, base, learning_rate=1e-5): the same optimizer at the same learning rate, whatever
    that is (a fine_tune that ignores learning_rate is test_fine_tune_uses_the_learning_rate_given's
    clause). Only a fine_tune that leaves the model compiled as the grader left it gives nothing to
    compare."""
    answer = fine_tuned(submission)
    default, explicit = answer["default"], answer["explicit_default"]
    untouched = all((s["optimizer"], s["learning_rate"]) == JUDGE_COMPILE for s in (default, explicit))
    check(not untouched, "fine_tune(model, base) left the model compiled as it was (Adam at 0.01, as the grader "
          "compiled it for the head's training), so its default learning rate cannot be judged: recompile the "
          "model with Adam at learning_rate.")
    got, wanted = default["learning_rate"], explicit["learning_rate"]
    same = default["optimizer"] == explicit["optimizer"] and (got == wanted or (
        got is not None and wanted is not None and bool(np.isclose(got, wanted, rtol=1e-3, atol=0))))
    check(same, f"fine_tune(model, base) compiles {_compiled(default)}, but fine_tune(model, base, "
          f"learning_rate=1e-5) compiles {_compiled(explicit)}: learning_rate should default to 1e-5.")


def _compiled(setup):
    rate = setup["learning_rate"]
    return f"{setup['optimizer']} at {'an unreadable learning rate' if rate is None else format(rate, '.2g')}"
