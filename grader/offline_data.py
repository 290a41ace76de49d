"""Offline 28 x 28 ten-class images, drawn procedurally with NumPy alone.

The lecture trains LeNet on Fashion-MNIST, which a sandboxed grader cannot
download. These images stand in for it: every class is a stroke figure at
class-specific geometry, and each sample is jittered (shift, scale,
thickness, brightness) and noised, so a small CNN learns the classes in a few
epochs while a linear model does not get everything right.

Class ``k + 5`` is the transpose of class ``k`` (a horizontal bar and a
vertical bar, a T and a sideways T, ...), so a reshape that transposes the
pixels turns most images into another class's figure and costs accuracy.

The output depends only on ``n`` and ``seed``: ``np.random.default_rng`` and
plain float arithmetic (no ``exp``/``sin``, whose last bits may vary between
math libraries), so the judge and a worker draw bit-identical data.
This module must not import TensorFlow: the judge never imports it.
"""

from __future__ import annotations

import numpy as np

SIZE = 28
NUM_CLASSES = 10
SOURCE_CLASSES = (0, 1, 2, 3, 4)
NEW_CLASSES = (5, 6, 7, 8, 9)

# Each figure is strokes in a frame centred on the image, y pointing down.
# A segment is (x0, y0, x1, y1); an arc is (radius, side) where side names
# the half of a ring that is kept. Classes 5-9 are 0-4 with x and y swapped.
_Stroke = tuple[float, float, float, float] | tuple[float, str]
_FIGURES: tuple[tuple[_Stroke, ...], ...] = (
    ((-8.0, 0.0, 8.0, 0.0),),  # 0: horizontal bar
    ((-8.0, -5.0, 8.0, -5.0), (-8.0, 5.0, 8.0, 5.0)),  # 1: "="
    ((7.0, "top"),),  # 2: arch
    ((-8.0, -7.0, 8.0, -7.0), (0.0, -7.0, 0.0, 8.0)),  # 3: "T"
    ((-7.0, -7.0, 7.0, -7.0), (7.0, -7.0, 7.0, 8.0)),  # 4: "7"
    ((0.0, -8.0, 0.0, 8.0),),  # 5: vertical bar
    ((-5.0, -8.0, -5.0, 8.0), (5.0, -8.0, 5.0, 8.0)),  # 6: "||"
    ((7.0, "left"),),  # 7: "C"
    ((-7.0, -8.0, -7.0, 8.0), (-7.0, 0.0, 8.0, 0.0)),  # 8: sideways T
    ((-7.0, -7.0, -7.0, 7.0), (-7.0, 7.0, 8.0, 7.0)),  # 9: "L"
)


def make_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` jittered, noisy figures and their labels.

    Returns ``X`` float32 of shape ``(n, 28, 28)`` in ``[0, 1]`` and ``y``
    int64 in ``0..9``. Labels cycle through the classes before shuffling, so
    class counts differ by at most one.
    """
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n, dtype=np.int64) % NUM_CLASSES)
    X = np.empty((n, SIZE, SIZE), dtype=np.float32)
    jitter = _draw_jitter(rng, n)
    for label in range(NUM_CLASSES):
        rows = np.flatnonzero(y == label)
        X[rows] = _render(_FIGURES[label], {k: v[rows] for k, v in jitter.items()})
    X *= jitter["brightness"][:, None, None]
    # float32 noise: half the memory traffic of float64, same determinism.
    noise = rng.random(X.shape, dtype=np.float32)
    X += (noise - np.float32(0.5)) * np.float32(0.7)
    _add_clutter(rng, X)
    return np.clip(X, 0.0, 1.0, out=X), y


def source_task(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images of classes 0-4, shaped ``(n, 28, 28, 1)``, labels 0-4.

    The project pretrains the ``transfer`` base on this task.
    """
    return _subtask(SOURCE_CLASSES, n, seed)


def new_task(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images of classes 5-9 relabelled 0-4, shaped ``(n, 28, 28, 1)``.

    Students fit a new head on this task over the pretrained base.
    """
    return _subtask(NEW_CLASSES, n, seed)


def _subtask(
    classes: tuple[int, ...], n: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    # Labels cycle through the ten classes, so 2n + 10 draws hold at least n
    # images of any five classes.
    X, y = make_images(2 * n + NUM_CLASSES, seed)
    keep = np.flatnonzero(np.isin(y, classes))[:n]
    relabel = np.full(NUM_CLASSES, -1, dtype=np.int64)
    relabel[list(classes)] = np.arange(len(classes))
    return X[keep, :, :, None], relabel[y[keep]]


def _draw_jitter(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Per-sample geometry and brightness, shape ``(n,)`` each."""
    draws = {
        "dx": (-3.0, 3.0),
        "dy": (-3.0, 3.0),
        "scale": (0.8, 1.15),
        "thickness": (0.7, 1.8),
        "brightness": (0.55, 1.0),
    }
    return {
        name: rng.uniform(low, high, n).astype(np.float32)
        for name, (low, high) in draws.items()
    }


def _render(figure: tuple[_Stroke, ...], jitter: dict[str, np.ndarray]) -> np.ndarray:
    """Ink of one figure for every sample in ``jitter``, in ``[0, 1]``."""
    coords = np.arange(SIZE, dtype=np.float32) - np.float32((SIZE - 1) / 2)
    # Map pixels into the figure's frame rather than moving the strokes: one
    # broadcast handles every sample's shift and scale at once.
    scale = jitter["scale"][:, None, None]
    px = (coords[None, None, :] - jitter["dx"][:, None, None]) / scale
    py = (coords[None, :, None] - jitter["dy"][:, None, None]) / scale
    dist = np.full(np.broadcast_shapes(px.shape, py.shape), np.inf, np.float32)
    for stroke in figure:
        dist = np.minimum(dist, _distance(stroke, px, py))
    half_width = jitter["thickness"][:, None, None] / scale
    # Ink falls off linearly over one pixel: anti-aliased, no transcendentals.
    return np.clip((half_width - dist) * scale + np.float32(0.5), 0, 1)


def _distance(stroke: _Stroke, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Distance from each pixel to a segment or half ring."""
    if isinstance(stroke[1], str):
        radius, side = stroke
        ring = np.abs(np.sqrt(px * px + py * py) - np.float32(radius))
        outside = (py > 0) if side == "top" else (px > 0)
        return np.where(outside, np.inf, ring)
    x0, y0, x1, y1 = stroke
    # Axis-aligned segments: clamp to the segment's box, then Euclidean.
    ex = np.maximum(np.maximum(np.float32(min(x0, x1)) - px, px - np.float32(max(x0, x1))), 0)
    ey = np.maximum(np.maximum(np.float32(min(y0, y1)) - py, py - np.float32(max(y0, y1))), 0)
    return np.sqrt(ex * ex + ey * ey)


def _add_clutter(rng: np.random.Generator, X: np.ndarray) -> None:
    """Add a short random bar to about a third of the images, in place.

    Clutter keeps pixel-wise templates from separating the classes cleanly.
    """
    n = len(X)
    hit = np.flatnonzero(rng.random(n) < 0.35)
    start = rng.integers(0, SIZE - 6, len(hit))
    line = rng.integers(0, SIZE, len(hit))
    vertical = rng.random(len(hit)) < 0.5
    offsets = np.arange(5)
    along = start[:, None] + offsets[None, :]
    across = np.broadcast_to(line[:, None], along.shape)
    rows = np.where(vertical[:, None], along, across)
    cols = np.where(vertical[:, None], across, along)
    X[hit[:, None], rows, cols] += np.float32(0.7)
