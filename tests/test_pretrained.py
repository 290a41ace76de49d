"""Tests for grader.pretrained: the shipped base of the transfer assignment."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from grader.pretrained import WEIGHTS_PATH, build_base, load_base

# Keras 3 names a layer's group in the weights file after its class, numbered
# in model order; the base's own layer names do not appear there.
FILE_GROUPS = {
    "conv1": "conv2d",
    "bn1": "batch_normalization",
    "conv2": "conv2d_1",
    "bn2": "batch_normalization_1",
}


@pytest.fixture(scope="module")
def base():
    return load_base()


def test_shipped_file_is_small() -> None:
    assert WEIGHTS_PATH.name.endswith(".weights.h5")
    assert 0 < WEIGHTS_PATH.stat().st_size < 1_000_000


def test_base_has_batch_normalization(base) -> None:
    kinds = {type(layer).__name__ for layer in base.layers}
    assert "BatchNormalization" in kinds


def test_base_output_is_a_4d_feature_map(base) -> None:
    assert base.output.shape == (None, 11, 11, 32)
    assert base.count_params() < 30_000


def test_loaded_weights_are_those_in_the_file(base) -> None:
    with h5py.File(WEIGHTS_PATH, "r") as stored:
        for layer_name, group in FILE_GROUPS.items():
            variables = stored[f"layers/{group}/vars"]
            expected = [variables[str(i)][()] for i in range(len(variables))]
            actual = base.get_layer(layer_name).get_weights()
            assert len(actual) == len(expected)
            for got, want in zip(actual, expected):
                np.testing.assert_array_equal(got, want)


def test_loaded_weights_are_not_a_fresh_init(base) -> None:
    fresh = build_base().get_layer("bn1").get_weights()
    loaded = base.get_layer("bn1").get_weights()
    # Moving mean and variance start at 0 and 1; pretraining moved them.
    assert not np.allclose(fresh[2], loaded[2])
    assert not np.allclose(fresh[3], loaded[3])


def test_each_call_returns_an_independent_model(base) -> None:
    other = load_base(WEIGHTS_PATH)
    other.get_layer("conv1").kernel.assign_add(np.ones((3, 3, 1, 16)))
    assert not np.allclose(
        other.get_layer("conv1").get_weights()[0],
        base.get_layer("conv1").get_weights()[0],
    )
