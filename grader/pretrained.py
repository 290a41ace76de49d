"""The pretrained base of the ``transfer`` assignment.

The lecture fine-tunes an ImageNet model, which a sandboxed grader cannot
download. Instead the project ships a small CNN, pretrained on the source
task of :mod:`grader.offline_data` (classes 0-4) by ``scripts/train_base.py``;
students put a new head on it for the new task (classes 5-9, relabelled 0-4).

Keras is imported inside the functions: importing this module stays cheap, and
the judge, which never imports TensorFlow, may still read ``WEIGHTS_PATH``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

WEIGHTS_PATH = Path(__file__).parent / "data" / "transfer_base.weights.h5"
INPUT_SHAPE = (28, 28, 1)
BASE_NAME = "pretrained_base"


def build_base() -> keras.Model:
    """Return the base's architecture, freshly initialised.

    ``Conv(16, 3) → BN → MaxPool → Conv(32, 3) → BN``: about 5,000
    parameters, output shape ``(None, 11, 11, 32)``. BatchNormalization is
    there on purpose: the assignment checks its statistics stay put while a
    frozen base is called with ``training=False``.
    """
    import keras

    layers = keras.layers
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = layers.Conv2D(16, 3, activation="relu", name="conv1")(inputs)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(32, 3, activation="relu", name="conv2")(x)
    outputs = layers.BatchNormalization(name="bn2")(x)
    return keras.Model(inputs, outputs, name=BASE_NAME)


def load_base(path: str | Path | None = None) -> keras.Model:
    """Build the base and load its pretrained weights.

    ``path`` defaults to the shipped ``grader/data/transfer_base.weights.h5``;
    Keras 3 requires the ``.weights.h5`` suffix. Every call returns a new,
    independent model, so one spec cannot disturb another's base.
    """
    base = build_base()
    base.load_weights(Path(path) if path is not None else WEIGHTS_PATH)
    return base
