"""Pretrain the ``transfer`` base and write ``grader/data/transfer_base.weights.h5``.

Run from the repository root::

    python scripts/train_base.py            # rewrites the shipped weights
    python scripts/train_base.py --out /tmp/base.weights.h5

The base is trained on the source task (classes 0-4 of the offline data) under
a temporary head, global average pooling then ``Dense(5, softmax)``, the same
shape of head students add; the head is then discarded and only the base's
weights are saved. Seeds are fixed and TensorFlow's op determinism is on, so a
rerun on the same machine and versions writes the same weights.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# Let the script run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.offline_data import source_task  # noqa: E402
from grader.pretrained import WEIGHTS_PATH, build_base  # noqa: E402

if TYPE_CHECKING:
    import keras

KERAS_SEED = 20240601
TRAIN_SEED = 101
HELD_OUT_SEED = 202


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line; the defaults reproduce the shipped file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--train-size", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=8)
    return parser.parse_args(argv)


def pretrain(train_size: int, epochs: int) -> tuple[keras.Model, float]:
    """Train base plus temporary head; return the base and held-out accuracy."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(KERAS_SEED)
    tf.config.experimental.enable_op_determinism()
    base = build_base()
    head = keras.layers.GlobalAveragePooling2D()(base.output)
    head = keras.layers.Dense(5, activation="softmax")(head)
    model = keras.Model(base.input, head)
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    X, y = source_task(train_size, TRAIN_SEED)
    model.fit(X, y, epochs=epochs, batch_size=64, verbose=2)
    X_held, y_held = source_task(1000, HELD_OUT_SEED)
    _, accuracy = model.evaluate(X_held, y_held, verbose=0)
    return base, float(accuracy)


def main(argv: list[str] | None = None) -> int:
    """Pretrain, report source-task accuracy, save the base's weights."""
    args = parse_args(argv)
    base, accuracy = pretrain(args.train_size, args.epochs)
    print(f"source-task held-out accuracy: {accuracy:.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    base.save_weights(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
