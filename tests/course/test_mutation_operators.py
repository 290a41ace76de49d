"""Each operator makes the mutants it promises, at the right place, and nothing that does not parse."""
from __future__ import annotations

import pytest

from grader.course.mutation import generate
from grader.course.mutation_operators import all_operators


def changes(source: str, operator: str) -> list[str]:
    """The changed line of every mutant `operator` makes of `source`, stripped."""
    lines = source.splitlines()
    out = []
    for mutant in generate(source):
        if mutant.operator == operator:
            new = mutant.source.splitlines()
            out += [b.strip() for a, b in zip(lines, new) if a != b] or ["(deleted)"]
    return out


LAYER = 'x = tf.keras.layers.Dense(8, activation="relu", padding="same")\n'


@pytest.mark.parametrize(("source", "operator", "expected"), [
    (LAYER, "ActivationChanged", ['x = tf.keras.layers.Dense(8, activation="sigmoid", padding="same")',
                                  'x = tf.keras.layers.Dense(8, padding="same")']),
    (LAYER, "PaddingChanged", ['x = tf.keras.layers.Dense(8, activation="relu", padding="valid")']),
    (LAYER, "SizeChanged", ['x = tf.keras.layers.Dense((8) + 1, activation="relu", padding="same")']),
    ("c = Conv2D(filters=n, kernel_size=3)\n", "SizeChanged", ["c = Conv2D(filters=(n) + 1, kernel_size=3)"]),
    ("p = tf.keras.layers.AvgPool2D(2)\n", "PoolingSwapped", ["p = tf.keras.layers.MaxPool2D(2)"]),
    ("y = base(X, training=False)\n", "FlagChanged", ["y = base(X, training=True)", "y = base(X)"]),
    ("base.trainable = False\n", "FlagChanged", ["base.trainable = True"]),
    ("m.compile(optimizer='adam', loss='mse')\n", "OptimizerNameChanged", ['m.compile(optimizer="sgd", loss=\'mse\')']),
    ("m.compile(optimizer='adam', loss='mse')\n", "LossNameChanged", ['m.compile(optimizer=\'adam\', loss="mae")']),
    ("o = tf.keras.optimizers.Adam(1e-3)\n", "OptimizerChanged", ["o = tf.keras.optimizers.SGD(1e-3)"]),
    ("o = SGD(learning_rate=0.1)\n", "LearningRateScaled", ["o = SGD(learning_rate=(0.1) * 10)",
                                                            "o = SGD(learning_rate=(0.1) / 10)"]),
    ("def f(m, learning_rate=1e-5):\n    pass\n", "LearningRateScaled",
     ["def f(m, learning_rate=(1e-5) * 10):", "def f(m, learning_rate=(1e-5) / 10):"]),
    ("def f(m):\n    m.compile(loss='mse')\n", "CompileRemoved", ["pass"]),
    ("y = tf.concat([a, b], axis=-1)\n", "AxisChanged", ["y = tf.concat([a, b], axis=0)",
                                                         "y = tf.concat([a, b], axis=1)"]),
    ("y = tf.nn.relu(X @ W)\n", "ActivationCallRemoved", ["y = (X @ W)"]),
    ("y = 3\n", "NumberDoubled", ["y = 6"]),
    ("def f(a, b):\n    return a - b\n", "ReturnChanged", ["return None", "return a"]),
    ("def f(a, b):\n    return g(a, b)\n", "ArgumentsSwapped", ["return g(b, a)"]),
    ("def f(a):\n    a.x = 1\n    return a\n", "StatementDeleted", ["pass"]),
])
def test_operator_makes_the_mutants_it_promises(source, operator, expected):
    assert changes(source, operator) == expected


def test_cosmic_ray_operators_are_used():
    source = "def f(a, b):\n    return a + b if a < b else -a\n"
    ops = {m.operator for m in generate(source)}
    assert {"ReplaceBinaryOperator_Add_Sub", "ReplaceComparisonOperator_Lt_LtE",
            "ReplaceUnaryOperator_Delete_USub"} <= ops


def test_docstrings_returns_and_class_names_are_left_alone():
    source = 'class AvgPool2D:\n    def f(self):\n        """Doc."""\n        return 1\n'
    assert changes(source, "StatementDeleted") == []
    assert changes(source, "PoolingSwapped") == []


def test_a_removed_keyword_in_the_middle_keeps_the_call_valid():
    source = 'y = Dense(3, activation="relu", name="d")\n'
    assert changes(source, "ActivationChanged")[1] == 'y = Dense(3, name="d")'


def test_no_random_operators():
    assert not {"VariableReplacer", "VariableInserter"} & set(all_operators())
