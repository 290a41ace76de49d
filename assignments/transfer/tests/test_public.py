"""Public specs for `transfer`: run them with `grader check transfer transfer.py`.

The grader loads its pretrained base (grader.pretrained.load_base()), passes it to your
functions and trains on its offline 28 x 28 images (grader.offline_data.new_task).
"""
import numpy as np

from grader.offline_data import new_task
from grader.spec import assert_shape, check, fail, points

# Measured with the reference solution over 20 seeds: held-out accuracy 0.83-0.96 after this
# training (600 images, 15 epochs, batch 16); chance is 0.20. The bar leaves a wide margin.
ACCURACY_BAR = 0.65


def moved(changes, statistics):
    """Names of base variables that changed (BatchNormalization statistics, or the other weights)."""
    return sorted(name for name, change in changes.items()
                  if ("moving_" in name) == statistics and change > 0)


@points(1)
def test_head_outputs_class_probabilities(submission, rng):
    num_classes = int(rng.integers(3, 8))
    X, y = new_task(8, int(rng.integers(1 << 30)))
    answer = submission.call("build", num_classes=num_classes, X=X, y=y % num_classes)
    if answer.get("model") != "Model":
        fail(f"build_transfer_model should return a Keras model, but returned a {answer.get('model')}.")
    out = assert_shape(answer["output"], (8, num_classes),
                       f"The output of build_transfer_model(base, {num_classes}) on 8 images")
    check(bool(np.all(out >= 0)) and np.allclose(out.sum(axis=1), 1.0, atol=1e-4),
          "The model's outputs should be class probabilities (each row sums to 1): end the head with "
          "Dense(num_classes, activation='softmax').")


@points(1.5)
def test_base_is_frozen_while_the_head_trains(submission, rng):
    X, y = new_task(96, int(rng.integers(1 << 30)))
    answer = submission.call("head_training", X=X, y=y, X_test=X[:8], epochs=2, batch_size=16)
    weights, stats = moved(answer["base_changes"], False), moved(answer["base_changes"], True)
    check(not weights, f"The base's weights changed while the new head trained ({', '.join(weights)}): "
          "freeze the base with base.trainable = False before compiling.")
    check(not stats, f"The base's BatchNormalization statistics changed while the head trained "
          f"({', '.join(stats)}): the base should run in inference mode.")


@points(1.5)
def test_accuracy_on_the_new_task(submission, rng):
    seed = int(rng.integers(1 << 30))
    X, y = new_task(600, seed)
    X_test, y_test = new_task(500, seed + 1)
    answer = submission.call("head_training", X=X, y=y, X_test=X_test, epochs=15, batch_size=16)
    probabilities = assert_shape(answer["probabilities"], (500, 5), "The model's predictions on 500 held-out images")
    accuracy = float(np.mean(probabilities.argmax(axis=1) == y_test))
    check(accuracy >= ACCURACY_BAR, f"After training the head (600 images, 15 epochs, batch 16) the model "
          f"classifies {accuracy:.0%} of held-out images correctly; it should reach {ACCURACY_BAR:.0%}.")
