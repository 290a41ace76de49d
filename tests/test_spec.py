"""Tests for grader.spec: the helpers specs use, and the sentences students read when they fail."""
from __future__ import annotations

import importlib
from types import ModuleType

import numpy as np
import pytest

Failed = pytest.fail.Exception


@pytest.fixture(scope="module")
def spec(pytestconfig: pytest.Config) -> ModuleType:
    """grader.spec, imported once its markers are known.

    grader.spec builds `pytest.mark.visibility(...)` at import time; those markers are declared in
    grader/specs.ini (the judge's config) but not in pyproject.toml, so under this project's
    --strict-markers a plain module-level import fails collection. Register them first.
    """
    pytestconfig.addinivalue_line("markers", "points(value): how many points the test is worth")
    pytestconfig.addinivalue_line("markers", "visibility(value): visible, hidden, after_due_date or after_published")
    pytestconfig.addinivalue_line("markers", "clause(text): the contract sentence a test checks")
    return importlib.import_module("grader.spec")


def failure(func: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(Failed) as info:
        func(*args, **kwargs)  # type: ignore[operator]
    assert info.value.pytrace is False  # one sentence, no traceback of grader frames
    return str(info.value.msg)


# --- fail and check ------------------------------------------------------------------------------

def test_fail_uses_the_message_as_given(spec: ModuleType) -> None:
    assert failure(spec.fail, "Your layer has no weights.") == "Your layer has no weights."


def test_check_passes_on_true(spec: ModuleType) -> None:
    spec.check(True, "never shown")
    spec.check(np.bool_(True), "never shown")


def test_check_fails_with_the_message_on_false(spec: ModuleType) -> None:
    assert failure(spec.check, False, "The output should be float32.") == "The output should be float32."
    assert failure(spec.check, np.bool_(False), "Nope.") == "Nope."


@pytest.mark.parametrize(("value", "type_name"), [(1, "int"), ("yes", "str"), (None, "NoneType"),
                                                  (np.array([True]), "ndarray"), ([True], "list")])
def test_check_refuses_anything_but_a_bool(spec: ModuleType, value: object, type_name: str) -> None:
    assert failure(spec.check, value, "unused") == f"internal: check() needs a bool, got {type_name}"


def test_check_does_not_trust_objects_that_claim_to_be_true(spec: ModuleType) -> None:
    class Liar:
        def __bool__(self) -> bool:
            return True

        def __eq__(self, other: object) -> bool:
            return True

    assert failure(spec.check, Liar(), "unused") == "internal: check() needs a bool, got Liar"


# --- as_array ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [np.zeros((2, 3), dtype=np.float32), np.arange(4), np.array([True, False]),
                                   np.array([1, 2], dtype=np.uint8)])
def test_as_array_takes_numeric_arrays_as_they_are(spec: ModuleType, value: np.ndarray) -> None:
    assert spec.as_array(value, "out") is value


def test_as_array_takes_numbers_and_lists_of_numbers(spec: ModuleType) -> None:
    assert spec.as_array(3, "out").shape == ()
    assert spec.as_array(2.5, "out") == 2.5
    converted = spec.as_array([[1, 2], [3, 4.5]], "out")
    assert converted.dtype == np.float64 and converted.shape == (2, 2)


@pytest.mark.parametrize(("value", "said"), [
    ("1.0", "a str"),
    (None, "None"),
    ({"a": 1}, "a dict"),
    (True, "a bool"),
    (object(), "a object"),
    (np.array(["a", "b"]), "an array of <U1"),
    (np.array([1 + 2j]), "an array of complex128"),
    ((1, 2), "a tuple"),
])
def test_as_array_refuses_what_is_not_numbers(spec: ModuleType, value: object, said: str) -> None:
    assert failure(spec.as_array, value, "ConcatBlock output") == (
        f"ConcatBlock output should be a tensor or array of numbers, but came back as {said}.")


@pytest.mark.parametrize("value", [["a", "b"], [[1, 2], [3]], [{"a": 1}], ["1.5", "2"], [None, 1.0]],
                         ids=["words", "ragged", "dicts", "numeric-strings", "none-inside"])
def test_as_array_refuses_lists_of_something_else(spec: ModuleType, value: list[object]) -> None:
    assert failure(spec.as_array, value, "ConcatBlock output") == (
        "ConcatBlock output should be numbers, but came back as a list of something else.")


# --- assert_shape ---------------------------------------------------------------------------------------

def test_assert_shape_returns_the_array(spec: ModuleType) -> None:
    out = np.ones((3, 8), dtype=np.float32)
    assert spec.assert_shape(out, (3, 8), "out") is out
    assert spec.assert_shape([1.0, 2.0], [2], "out").shape == (2,)


def test_assert_shape_states_expected_and_received(spec: ModuleType) -> None:
    message = failure(spec.assert_shape, np.ones((3, 5)), (3, 8), "ConcatBlock output")
    assert message == "ConcatBlock output should have shape (3, 8), but it has shape (3, 5)."


def test_assert_shape_on_a_scalar(spec: ModuleType) -> None:
    assert failure(spec.assert_shape, 1.5, (2,), "loss") == "loss should have shape (2,), but it has shape ()."


def test_assert_shape_on_a_non_array(spec: ModuleType) -> None:
    assert failure(spec.assert_shape, "oops", (2,), "loss") == (
        "loss should be a tensor or array of numbers, but came back as a str.")


# --- assert_close ---------------------------------------------------------------------------------------

SECRET = np.array([[0.123456, 7.654321, -3.14159], [2.71828, 1.41421, 42.4242]], dtype=np.float32)


def secret_digits() -> list[str]:
    return [f"{v:.3f}" for v in SECRET.ravel()] + [f"{v:.2f}" for v in SECRET.ravel()] + ["0.1234", "42.42"]


def test_assert_close_passes_within_tolerance(spec: ModuleType) -> None:
    spec.assert_close(SECRET * (1 + 1e-6), SECRET, "out")
    spec.assert_close(SECRET.tolist(), SECRET, "out")


def test_assert_close_wrong_values_never_reveals_expected(spec: ModuleType) -> None:
    wrong = SECRET.copy()
    wrong[0, 1] += 1
    wrong[1, 2] = 0
    message = failure(spec.assert_close, wrong, SECRET, "ConcatBlock output")
    assert message == "ConcatBlock output has the right shape but 2 of 6 values differ from the correct result."
    for digits in secret_digits():
        assert digits not in message


def test_assert_close_keeps_one_expected_and_one_received_entry_apart_for_visible_tests(spec: ModuleType) -> None:
    wrong = SECRET.copy()
    wrong[1, 2] = 0
    with pytest.raises(spec.Failure) as info:
        spec.assert_close(wrong, SECRET, "out")
    assert info.value.example == "For example, entry [1, 2] should be 42.4242 but is 0."
    assert "42.42" not in str(info.value.msg)  # the runner adds the example where the test is visible


def test_assert_close_wrong_shape_states_both_shapes_only(spec: ModuleType) -> None:
    message = failure(spec.assert_close, np.zeros((2, 2)), SECRET, "ConcatBlock output")
    assert message == "ConcatBlock output should have shape (2, 3), but it has shape (2, 2)."
    for digits in secret_digits():
        assert digits not in message


def test_assert_close_transposed_answer_is_a_shape_failure(spec: ModuleType) -> None:
    message = failure(spec.assert_close, SECRET.T, SECRET, "out")
    assert message == "out should have shape (2, 3), but it has shape (3, 2) (its axes are in reverse order: transposed?)."


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_assert_close_non_finite(spec: ModuleType, bad: float) -> None:
    answer = SECRET.copy()
    answer[1, 1] = bad
    assert failure(spec.assert_close, answer, SECRET, "out") == "out contains NaN or infinite values."


def test_assert_close_refuses_non_numbers_saying_what_came_back(spec: ModuleType) -> None:
    assert failure(spec.assert_close, None, SECRET, "out") == (
        "out should be a tensor or array of numbers, but came back as None.")
    assert failure(spec.assert_close, "[[0.12, 7.65]]", SECRET, "out") == (
        "out should be a tensor or array of numbers, but came back as a str.")


def test_assert_close_tolerances(spec: ModuleType) -> None:
    expected = np.array([1.0, 2.0])
    spec.assert_close(expected + 0.05, expected, "out", atol=0.1)
    assert failure(spec.assert_close, expected + 0.05, expected, "out") == (
        "out has the right shape but 2 of 2 values differ from the correct result: every value is off by the "
        "same amount.")


# --- assert_equal, markers, weights -------------------------------------------------------------------

def test_assert_equal(spec: ModuleType) -> None:
    spec.assert_equal(["Dense", "Dense"], ["Dense", "Dense"], "layer types")
    assert failure(spec.assert_equal, 3, 4, "units") == "units is 3, which is not what the exercise asks for."
    assert failure(spec.assert_equal, 3.0, 3, "units") == "units is 3.0, which is not what the exercise asks for."
    assert failure(spec.assert_equal, True, 1, "flag") == "flag is True, which is not what the exercise asks for."


RELU_OUT = np.array([[0.5, -1.5, 2.0], [-0.25, 3.0, -4.0]])


@pytest.mark.parametrize(("actual", "expected", "kind"), [
    (np.maximum(RELU_OUT, 0), RELU_OUT, "the values that should be negative came back as 0, as if a ReLU were "
     "applied where none belongs"),
    (RELU_OUT, np.maximum(RELU_OUT, 0), "some values are negative where a ReLU would leave none (is the ReLU "
     "missing?)"),
    (-RELU_OUT, RELU_OUT, "every value has the wrong sign"),
    (RELU_OUT / 255, RELU_OUT, "every value is off by the same factor, 255 times smaller than it should be "
     "(rescaled?)"),
    (RELU_OUT * 2.5, RELU_OUT, "every value is off by the same factor, 2.5 times what it should be (rescaled?)"),
    (RELU_OUT + 0.75, RELU_OUT, "every value is off by the same amount"),
    (RELU_OUT + np.array([[1.0], [-2.0]]), RELU_OUT, "the values of each row are off by one amount, a different "
     "one in each row (a mean or sum taken per row instead of over the whole tensor?)"),
    (RELU_OUT + np.array([1.0, -2.0, 0.5]), RELU_OUT, "the values of each column are off by one amount, a "
     "different one in each column (a mean or sum taken per column instead of over the whole tensor?)"),
    (SECRET[:, :2].T, SECRET[:, :2], "the values are transposed (rows and columns swapped)"),
    (RELU_OUT[:, ::-1], RELU_OUT, "the values are right but in the wrong places (a transpose, or a reshape in "
     "another order?)"),
    (np.array([3.0, 2.0, 1.5, 1.2]), np.array([4.0, 3.0, 2.0, 1.5]), "each value is the one that should come "
     "one place later (shifted by one place)"),
    (np.array([5.0, 4.0, 3.0, 2.0]), np.array([4.0, 3.0, 2.0, 1.5]), "each value is the one that should come "
     "one place earlier (shifted by one place)"),
    (np.array([1.0, -2.0, 3.0]), np.array([1.0, 2.5, 3.5]), "1 of them are negative, though the correct result "
     "has no negative values"),
    (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 3.5]), ""),
])
def test_describe_difference_names_the_kind(spec: ModuleType, actual: np.ndarray, expected: np.ndarray,
                                            kind: str) -> None:
    assert spec.describe_difference(actual, expected) == kind
    message = failure(spec.assert_close, actual, expected, "out")
    assert message.endswith(f": {kind}." if kind else "values differ from the correct result.")


def test_describe_difference_of_unlike_arrays_says_nothing(spec: ModuleType) -> None:
    assert spec.describe_difference(np.zeros(3), np.zeros(4)) == ""
    assert spec.describe_difference(np.array([np.nan]), np.array([1.0])) == ""
    assert spec.describe_difference(np.zeros(0), np.zeros(0)) == ""


def test_example_entry_names_the_entry_furthest_off(spec: ModuleType) -> None:
    assert spec.example_entry(np.array([1.0, 5.0]), np.array([1.0, 2.0])) == (
        "For example, entry [1] should be 2 but is 5.")
    assert spec.example_entry(np.float64(3.0), np.float64(2.0)) == "For example, the value should be 2 but is 3."
    assert spec.example_entry(np.zeros(2), np.zeros(3)) == ""


def test_fail_can_carry_an_example_apart_from_its_message(spec: ModuleType) -> None:
    with pytest.raises(spec.Failure) as info:
        spec.fail("The kernel is wrong.", example="For example, entry [0] should be 1 but is 2.")
    assert (info.value.msg, info.value.example, info.value.pytrace) == (
        "The kernel is wrong.", "For example, entry [0] should be 1 but is 2.", False)
    assert isinstance(info.value, pytest.fail.Exception)


def test_markers(spec: ModuleType) -> None:
    assert spec.clause("call returns X").name == "clause" and spec.clause("call returns X").args == ("call returns X",)
    assert spec.points(2).name == "points" and spec.points(2).args == (2.0,)
    assert isinstance(spec.points(2).args[0], float)
    assert spec.hidden.name == "visibility" and spec.hidden.args == ("hidden",)
    assert spec.visible.args == ("visible",)


def test_helpers_hide_their_frames(spec: ModuleType) -> None:
    for helper in (spec.fail, spec.check, spec.as_array, spec.assert_shape, spec.assert_close, spec.assert_equal):
        assert "__tracebackhide__" in helper.__code__.co_varnames


def test_dense_weights(spec: ModuleType) -> None:
    kernel, bias = spec.dense_weights(np.random.default_rng(0), 20, 3)
    assert kernel.shape == (20, 3) and bias.shape == (3,)
    assert kernel.dtype == bias.dtype == np.float32
    again = spec.dense_weights(np.random.default_rng(0), 20, 3)
    assert np.array_equal(again[0], kernel) and np.array_equal(again[1], bias)
