"""What spec files import: markers, and assertions that speak to students.

Every helper hides its own frame (`__tracebackhide__`) and fails with
`pytest.fail(..., pytrace=False)`, so a student reads one sentence about their
code. Messages say what was expected and what came back in shape and kind,
never the hidden expected numbers.
"""
from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

__all__ = [
    "assert_close", "assert_shape", "assert_equal", "check", "dense_weights", "fail", "hidden", "points",
    "public_spec",
]

hidden = pytest.mark.visibility("hidden")
visible = pytest.mark.visibility("visible")


def points(value: float) -> pytest.MarkDecorator:
    """How many points a test is worth (`@points(2)`)."""
    return pytest.mark.points(float(value))


def fail(message: str) -> None:
    """Fail the current test with a message written for the student."""
    __tracebackhide__ = True
    pytest.fail(message, pytrace=False)


def check(condition: object, message: str) -> None:
    """Fail with `message` unless `condition` is true (a plain bool, never the student's object)."""
    __tracebackhide__ = True
    if not isinstance(condition, (bool, np.bool_)):
        fail(f"internal: check() needs a bool, got {type(condition).__name__}")
    if not condition:
        fail(message)


def as_array(value: Any, what: str) -> np.ndarray:
    """The worker's answer as a numeric array, or a failure saying what came back instead."""
    __tracebackhide__ = True
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.asarray(value)
    if isinstance(value, list):
        try:
            array = np.asarray(value)
        except (TypeError, ValueError):
            array = np.asarray([None])
        if array.dtype.kind not in "biuf":
            fail(f"{what} should be numbers, but came back as a list of something else.")
        return array
    fail(f"{what} should be a tensor or array of numbers, but came back as {_kind(value)}.")
    raise AssertionError  # unreachable: fail() raised


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype}"
    return f"a {type(value).__name__}"


def assert_shape(actual: Any, shape: Sequence[int], what: str) -> np.ndarray:
    """Check the shape of an answer (shapes follow from the contract, so naming them is fair)."""
    __tracebackhide__ = True
    array = as_array(actual, what)
    if tuple(array.shape) != tuple(shape):
        fail(f"{what} should have shape {tuple(shape)}, but it has shape {tuple(array.shape)}.")
    return array


def assert_close(actual: Any, expected: np.ndarray, what: str, *, rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Compare an answer with the judge's own computation, elementwise."""
    __tracebackhide__ = True
    array = assert_shape(actual, np.shape(expected), what)
    if not np.all(np.isfinite(array)):
        fail(f"{what} contains NaN or infinite values.")
    close = np.isclose(array, expected, rtol=rtol, atol=atol)
    if not close.all():
        wrong = int((~close).sum())
        fail(f"{what} has the right shape but {wrong} of {close.size} values differ from the correct result.")


def assert_equal(actual: Any, expected: Any, what: str) -> None:
    """Exact comparison of plain values (ints, strings, lists of them)."""
    __tracebackhide__ = True
    if type(actual) is not type(expected) or actual != expected:
        fail(f"{what} is {actual!r}, which is not what the exercise asks for.")


def public_spec(slug: str) -> types.ModuleType:
    """An assignment's public spec module, so hidden specs reuse its numpy reference code
    instead of copying it (imported under its own name: pytest never collects it twice)."""
    from grader.course.assignments import load_assignment

    name = f"_public_spec_{slug}"
    if name not in sys.modules:
        path = load_assignment(slug).folder / "tests" / "test_public.py"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"no public spec for {slug}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def dense_weights(rng: np.random.Generator, n_in: int, n_out: int) -> list[np.ndarray]:
    """Random weights for a Dense layer, [kernel (n_in, n_out), bias (n_out,)], as float32."""
    kernel = rng.normal(0.0, 1.0, size=(n_in, n_out)).astype(np.float32)
    bias = rng.normal(0.0, 1.0, size=(n_out,)).astype(np.float32)
    return [kernel, bias]
