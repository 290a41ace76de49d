"""Hidden specs for `transfer` (grader only). Each names the mistake it exists to catch.

Fine-tuning runs 96 images, 2 epochs, batch 16: 12 Adam steps. Measured with the reference
solution: the largest change of a base weight is 0.98-1.00 x steps x learning_rate (Adam moves
each weight by about the learning rate per step); with Adam's default 1e-3 instead of 1e-5 the
ratio is about 100. The bar MAX_STEP_RATIO = 3 sits between them.
"""
import numpy as np

from grader.offline_data import new_task
from grader.spec import check, fail, points

MAX_STEP_RATIO = 3.0


def moved(changes, statistics):
    return sorted(name for name, change in changes.items()
                  if ("moving_" in name) == statistics and change > 0)


def largest_weight_change(changes):
    return max([c for name, c in changes.items() if "moving_" not in name] or [0.0])


def built(submission, rng, num_classes):
    X, y = new_task(8, int(rng.integers(1 << 30)))
    y = y % num_classes
    answer = submission.call("build", num_classes=num_classes, X=X, y=y)
    if answer.get("model") != "Model":
        fail(f"build_transfer_model should return a Keras model, but returned a {answer.get('model')}.")
    return answer, y


def fine_tuned(submission, rng, learning_rate=None):
    X, y = new_task(96, int(rng.integers(1 << 30)))
    return submission.call("fine_tuning", X=X, y=y, head_epochs=1, tune_epochs=2, batch_size=16,
                           learning_rate=learning_rate)


@points(1)
def test_compiled_with_adam_and_sparse_cross_entropy(submission, rng):
    """Catches: another optimizer, no compile, a loss other than sparse categorical cross-entropy."""
    num_classes = int(rng.integers(3, 8))
    answer, y = built(submission, rng, num_classes)
    check(answer["compiled"] and answer["optimizer"] is not None,
          "build_transfer_model should compile the model before returning it.")
    check(answer["optimizer"] == "Adam", f"The model should be compiled with Adam, not {answer['optimizer']}.")
    out = np.asarray(answer["output"], dtype=np.float64)
    check(out.ndim == 2 and out.shape[1] == num_classes,
          f"build_transfer_model(base, {num_classes}) should output {num_classes} class scores per image, "
          f"not {out.shape[1:]}.")
    check(answer["loss"] is not None, "The compiled loss could not be evaluated on the model's output.")
    if not np.allclose(out.sum(axis=1), 1.0, atol=1e-4):  # logits: judge the loss on their softmax
        out = np.exp(out - out.max(axis=1, keepdims=True))
        out /= out.sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(np.clip(out[np.arange(len(y)), y], 1e-7, 1.0)))
    check(bool(np.isclose(answer["loss"], expected, rtol=1e-3, atol=1e-4)),
          "The compiled loss is not sparse categorical cross-entropy on integer labels "
          "(loss='sparse_categorical_crossentropy').")


@points(1)
def test_head_is_pooling_and_one_dense_layer(submission, rng):
    """Catches: Flatten instead of pooling, extra trainable layers, a fresh base, a base not frozen."""
    num_classes = int(rng.integers(3, 8))
    answer, _ = built(submission, rng, num_classes)
    channels = answer["base_output_shape"][-1]
    check(answer["uses_base"], "The model does not contain the base passed to build_transfer_model.")
    check(answer["trainable_in_base"] == 0, "The base's variables are trainable in the returned model: freeze it.")
    shapes = sorted(tuple(s) for s in answer["trainable_shapes"])
    expected = sorted([(channels, num_classes), (num_classes,)])
    if shapes != expected:
        dense = answer["head"]
        kernel = dense[-1]["kernel_shape"] if dense else None
        hint = (" The Dense layer sees every position of the base's feature map: pool them with "
                "GlobalAveragePooling2D first." if kernel and kernel[0] != channels else "")
        fail(f"The trainable part of the model should be one Dense({num_classes}) layer on the "
             f"{channels} pooled channels (weights of shapes {expected}), but it has weights of shapes "
             f"{shapes}.{hint}")


@points(1)
def test_fine_tune_unfreezes_the_base(submission, rng):
    """Catches: a fine_tune that leaves the base frozen, or returns something else than the model."""
    answer = fine_tuned(submission, rng)
    check(answer["returned_model"], "fine_tune should return the model it was given.")
    check(answer["base_trainable"], "After fine_tune the base should be trainable (base.trainable = True).")
    frozen = [layer["name"] for layer in answer["base_layers"]
              if not layer["trainable"] and "BatchNormalization" not in layer["kind"]]
    check(not frozen, f"After fine_tune these layers of the base are still frozen: {', '.join(frozen)}.")
    check(answer["trainable_in_base"] > 0, "After fine_tune none of the base's weights are trainable.")


@points(1)
def test_fine_tune_recompiles(submission, rng):
    """Catches: fine-tuning without recompiling (Keras 3 then keeps training the head only)."""
    answer = fine_tuned(submission, rng)
    check(answer["base_trainable"], "After fine_tune the base should be trainable (base.trainable = True).")
    check(largest_weight_change(answer["base_changes"]) > 0,
          "The base is trainable after fine_tune, but training the model did not change any of its "
          "weights: recompile the model after changing `trainable` (Keras uses the trainable weights "
          "it found when the model was compiled).")


@points(1)
def test_fine_tune_uses_a_low_learning_rate(submission, rng):
    """Catches: a high fine-tuning learning rate (Adam's default 1e-3), an ignored learning_rate."""
    for learning_rate in (None, float(rng.uniform(5e-6, 4e-5))):
        answer = fine_tuned(submission, rng, learning_rate)
        wanted = 1e-5 if learning_rate is None else learning_rate
        call = "fine_tune(model, base)" if learning_rate is None else f"fine_tune(model, base, learning_rate={wanted:.2g})"
        check(answer["optimizer"] == "Adam", f"After {call} the model should be compiled with Adam, "
              f"not {answer['optimizer']}.")
        got = answer["learning_rate"]
        check(got is not None and bool(np.isclose(got, wanted, rtol=1e-3, atol=0)),
              f"After {call} the optimizer's learning rate is "
              f"{'unreadable' if got is None else format(got, '.2g')}, not {wanted:.2g}.")
        ratio = largest_weight_change(answer["base_changes"]) / (answer["steps"] * wanted)
        check(ratio <= MAX_STEP_RATIO, f"After {call} the base's weights moved far more than Adam at a "
              f"learning rate of {wanted:.2g} moves them: fine-tune at the learning rate given.")


@points(1)
def test_batchnorm_statistics_stay_put_in_fine_tuning(submission, rng):
    """Catches: BatchNormalization statistics that move (the base not run with training=False)."""
    answer = fine_tuned(submission, rng)
    stats = moved(answer["base_changes"], True)
    check(not stats, f"While fine-tuning, the base's BatchNormalization moving statistics changed "
          f"({', '.join(stats)}): the base must run with training=False. In Keras 3 a functional model "
          "built with base(inputs, training=False) does not keep that flag when fit trains it; call the "
          "base with training=False inside a subclassed model's call, or keep the BatchNormalization "
          "layers frozen in fine_tune.")
