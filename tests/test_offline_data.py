"""Tests for grader.offline_data: the NumPy-only 28 x 28 ten-class images."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest

from grader.offline_data import NUM_CLASSES, make_images, new_task, source_task


def nearest_centroid_accuracy(
    X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray
) -> float:
    """Accuracy of the plainest learner there is, as a cheap learnability proxy."""
    centroids = np.stack([X[y == k].mean(0).ravel() for k in range(NUM_CLASSES)])
    flat = X_test.reshape(len(X_test), -1)
    distances = ((flat[:, None, :] - centroids[None]) ** 2).sum(-1)
    return float((distances.argmin(1) == y_test).mean())


def test_shapes_dtypes_and_ranges() -> None:
    X, y = make_images(50, seed=0)
    assert X.shape == (50, 28, 28) and X.dtype == np.float32
    assert y.shape == (50,) and y.dtype == np.int64
    assert X.min() >= 0.0 and X.max() <= 1.0
    assert set(y.tolist()) == set(range(NUM_CLASSES))


def test_same_seed_is_bit_identical() -> None:
    X1, y1 = make_images(300, seed=7)
    X2, y2 = make_images(300, seed=7)
    assert X1.tobytes() == X2.tobytes() and np.array_equal(y1, y2)


def test_different_seeds_differ() -> None:
    X1, y1 = make_images(100, seed=1)
    X2, y2 = make_images(100, seed=2)
    assert not np.array_equal(X1, X2) and not np.array_equal(y1, y2)


@pytest.mark.parametrize("n", [10, 999, 1000])
def test_classes_are_balanced(n: int) -> None:
    _, y = make_images(n, seed=3)
    counts = np.bincount(y, minlength=NUM_CLASSES)
    assert counts.max() - counts.min() <= 1


def test_zero_images() -> None:
    X, y = make_images(0, seed=0)
    assert X.shape == (0, 28, 28) and y.shape == (0,)


def test_classes_are_learnable() -> None:
    X, y = make_images(2000, seed=1)
    X_test, y_test = make_images(500, seed=2)
    assert nearest_centroid_accuracy(X, y, X_test, y_test) > 0.5


def test_transposed_pixels_look_like_other_classes() -> None:
    # The lenet assignment relies on this to catch a transposed reshape.
    X, y = make_images(2000, seed=1)
    X_test, y_test = make_images(500, seed=2)
    transposed = X_test.transpose(0, 2, 1)
    assert nearest_centroid_accuracy(X, y, transposed, y_test) < 0.2


def test_images_are_noisy() -> None:
    # A clean image would let a template match score 100%.
    X, _ = make_images(100, seed=4)
    assert 0.0 < X[:, 0, :].mean() < 0.3


@pytest.mark.parametrize("task", [source_task, new_task])
def test_subtasks_shapes_and_labels(
    task: Callable[[int, int], tuple[np.ndarray, np.ndarray]],
) -> None:
    X, y = task(101, seed=5)
    assert X.shape == (101, 28, 28, 1) and X.dtype == np.float32
    assert y.dtype == np.int64 and set(y.tolist()) == {0, 1, 2, 3, 4}


def test_source_and_new_tasks_draw_different_figures() -> None:
    X_source, y_source = source_task(500, seed=6)
    X_new, y_new = new_task(500, seed=6)
    source_mean = np.stack([X_source[y_source == k].mean(0) for k in range(5)])
    new_mean = np.stack([X_new[y_new == k].mean(0) for k in range(5)])
    assert np.abs(source_mean - new_mean).max() > 0.3


def test_does_not_import_tensorflow() -> None:
    # The judge imports this module and must never pay for, or trust, TF.
    code = "import sys, grader.offline_data; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
