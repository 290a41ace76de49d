"""What spec files import: markers, and assertions that speak to students.

Every helper hides its own frame (`__tracebackhide__`) and fails with a
`pytest.fail`-kind exception (`pytrace=False`), so a student reads one sentence
about their code. Messages say what was expected and what came back in shape and
kind (negative values where none belong, every value off by one factor, the
right values in the wrong places, ...), never the hidden expected numbers: a
value comparison's example (one expected and one received entry) rides on the
exception apart from the message, and the runner shows it only in visible tests.

`clause("...")` names the sentence of the contract a test checks; tests that check
the same sentence share it, and a test without one is a clause of its own. `grader
selfcheck` proves that every known mistake (mutant) costs one clause only.
"""
from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

__all__ = [
    "Failure", "assert_close", "assert_shape", "assert_equal", "check", "clause", "dense_weights", "describe_difference",
    "example_entry", "fail", "hidden", "points", "public_spec",
]

hidden = pytest.mark.visibility("hidden")
visible = pytest.mark.visibility("visible")


def points(value: float) -> pytest.MarkDecorator:
    """How many points a test is worth (`@points(2)`)."""
    return pytest.mark.points(float(value))


def clause(text: str) -> pytest.MarkDecorator:
    """The contract sentence a test checks (`@clause("call returns tf.concat([net1(X), net2(X)], axis)")`).

    Tests that check the same sentence share a clause; a test without this marker is its own clause."""
    return pytest.mark.clause(str(text))


class Failure(pytest.fail.Exception):  # type: ignore[misc,name-defined]
    """A spec's failure, worded for the student. `example` (an expected and a received entry) is
    shown only where the test is visible: the runner adds it; hidden tests never show it."""

    def __init__(self, message: str, example: str = "") -> None:
        super().__init__(message, pytrace=False)
        self.example = example


def fail(message: str, example: str = "") -> None:
    """Fail the current test with a message written for the student (and an example for visible tests)."""
    __tracebackhide__ = True
    raise Failure(message, example)


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
        hint = " (its axes are in reverse order: transposed?)" if len(shape) > 1 and tuple(
            array.shape) == tuple(shape)[::-1] else ""
        fail(f"{what} should have shape {tuple(shape)}, but it has shape {tuple(array.shape)}{hint}.")
    return array


def assert_close(actual: Any, expected: np.ndarray, what: str, *, rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Compare an answer with the judge's own computation, elementwise; a failure says what kind of
    difference it is where that can be told, and (visible tests only) shows one entry of each."""
    __tracebackhide__ = True
    expected = np.asarray(expected)
    array = assert_shape(actual, np.shape(expected), what)
    if not np.all(np.isfinite(array)):
        fail(f"{what} contains NaN or infinite values.")
    close = np.isclose(array, expected, rtol=rtol, atol=atol)
    if not close.all():
        wrong = int((~close).sum())
        kind = describe_difference(array, expected, rtol=rtol, atol=atol)
        fail(f"{what} has the right shape but {wrong} of {close.size} values differ from the correct result"
             + (f": {kind}." if kind else "."), example=example_entry(array, expected, close))


def describe_difference(actual: Any, expected: Any, *, rtol: float = 1e-4, atol: float = 1e-5) -> str:
    """The kind of difference between two arrays of one shape, in the student's terms ("" when it is none
    the grader can name). It never states an expected value, so hidden tests may use it too."""
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape or a.size == 0 or not (np.isfinite(a).all() and np.isfinite(e).all()):
        return ""
    a, e = np.squeeze(a), np.squeeze(e)  # a channel axis of 1 is no row or column

    def same(x: np.ndarray, y: np.ndarray) -> bool:
        return x.shape == y.shape and bool(np.allclose(x, y, rtol=rtol, atol=atol))

    for kind in (_relu_kind, _sign_or_factor_kind, _offset_kind, _order_kind, _negative_kind):
        words = kind(a, e, same, atol)
        if words:
            return words
    return ""


_Same = Callable[[np.ndarray, np.ndarray], bool]  # the comparison describe_difference hands each kind


def _relu_kind(a: np.ndarray, e: np.ndarray, same: _Same, atol: float) -> str:
    if e.min() < -atol and same(a, np.maximum(e, 0.0)):
        return "the values that should be negative came back as 0, as if a ReLU were applied where none belongs"
    if a.min() < -atol and e.min() >= 0 and same(np.maximum(a, 0.0), e):
        return "some values are negative where a ReLU would leave none (is the ReLU missing?)"
    return ""


def _sign_or_factor_kind(a: np.ndarray, e: np.ndarray, same: _Same, atol: float) -> str:
    if same(a, -e):
        return "every value has the wrong sign"
    big = np.abs(e) > 10 * atol
    if not big.any():
        return ""
    factor = float(np.median(a[big] / e[big]))
    if not np.isfinite(factor) or factor == 0 or abs(factor - 1) < 1e-3 or not same(a, factor * e):
        return ""
    if abs(factor) < 1:
        inverse = 1 / factor
        size = f"{round(inverse)}" if abs(inverse - round(inverse)) < 1e-3 * abs(inverse) else f"{inverse:.3g}"
        return f"every value is off by the same factor, {size} times smaller than it should be (rescaled?)"
    return f"every value is off by the same factor, {factor:.3g} times what it should be (rescaled?)"


def _offset_kind(a: np.ndarray, e: np.ndarray, same: _Same, atol: float) -> str:
    d = a - e
    if same(a, e + d.mean()):
        return "every value is off by the same amount"
    if a.ndim >= 2 and a.shape[-1] > 1 and same(a, e + d.mean(axis=-1, keepdims=True)):
        return ("the values of each row are off by one amount, a different one in each row (a mean or sum "
                "taken per row instead of over the whole tensor?)")
    if a.ndim >= 2 and a.shape[0] > 1 and same(a, e + d.mean(axis=0, keepdims=True)):
        return ("the values of each column are off by one amount, a different one in each column (a mean or "
                "sum taken per column instead of over the whole tensor?)")
    return ""


def _order_kind(a: np.ndarray, e: np.ndarray, same: _Same, atol: float) -> str:
    if a.ndim >= 2 and a.shape[-1] == a.shape[-2] and same(a, np.swapaxes(e, -1, -2)):
        return "the values are transposed (rows and columns swapped)"
    if a.ndim == 1 and a.size >= 3 and same(a[:-1], e[1:]):
        return "each value is the one that should come one place later (shifted by one place)"
    if a.ndim == 1 and a.size >= 3 and same(a[1:], e[:-1]):
        return "each value is the one that should come one place earlier (shifted by one place)"
    if a.size > 1 and same(np.sort(a, axis=None), np.sort(e, axis=None)):
        return "the values are right but in the wrong places (a transpose, or a reshape in another order?)"
    return ""


def _negative_kind(a: np.ndarray, e: np.ndarray, same: _Same, atol: float) -> str:
    negative = int((a < -atol).sum())
    if negative and e.min() >= 0:
        return f"{negative} of them are negative, though the correct result has no negative values"
    return ""


def example_entry(actual: Any, expected: Any, close: np.ndarray | None = None) -> str:
    """One expected and one received entry (the one furthest off), for visible tests only."""
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape or a.size == 0:
        return ""
    gap = np.abs(a - e)
    if close is not None:
        gap = np.where(close, -1.0, gap)
    index = np.unravel_index(int(np.argmax(gap)), a.shape)
    where = "the value" if a.ndim == 0 else f"entry [{', '.join(str(int(i)) for i in index)}]"
    return f"For example, {where} should be {e[index]:.6g} but is {a[index]:.6g}."


def assert_equal(actual: Any, expected: Any, what: str) -> None:
    """Exact comparison of plain values (ints, strings, lists of them)."""
    __tracebackhide__ = True
    if type(actual) is not type(expected) or actual != expected:
        fail(f"{what} is {actual!r}, which is not what the exercise asks for.")


def public_spec(slug: str) -> types.ModuleType:
    """An assignment's public spec module, so hidden specs reuse its numpy reference code
    instead of copying it (imported under its own name: pytest never collects it twice)."""
    from grader.assignments import load_assignment

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
