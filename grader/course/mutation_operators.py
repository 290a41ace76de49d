"""The mutation operators: cosmic-ray's general ones, and ours for Keras code.

Every operator is a cosmic-ray `Operator` over a parso tree: `mutation_positions(node)`
yields one `(start, end)` per mutation it can make at `node`, and `mutate(node, index)`
returns the changed node (or None to delete it). cosmic-ray's machinery then applies
exactly one of them per mutant. Its random operators (VariableReplacer, VariableInserter)
are left out: a mutant must be the same on every run.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import parso
from cosmic_ray.operators import provider
from cosmic_ray.operators.operator import Example, Operator
from parso.python import tree

Position = tuple[tuple[int, int], tuple[int, int]]

# cosmic-ray's binary and comparison replacements are every permutation (11 per `+`);
# these are the ones a student actually writes by mistake, which keeps a run affordable.
_COSMIC_RAY = (
    "NumberReplacer",
    "ReplaceBinaryOperator_Add_Sub", "ReplaceBinaryOperator_Sub_Add", "ReplaceBinaryOperator_Add_Mul",
    "ReplaceBinaryOperator_Mul_Add", "ReplaceBinaryOperator_Mul_Div", "ReplaceBinaryOperator_Div_Mul",
    "ReplaceBinaryOperator_FloorDiv_Div", "ReplaceBinaryOperator_Div_FloorDiv", "ReplaceBinaryOperator_Pow_Mul",
    "ReplaceComparisonOperator_Lt_LtE", "ReplaceComparisonOperator_LtE_Lt", "ReplaceComparisonOperator_Gt_GtE",
    "ReplaceComparisonOperator_GtE_Gt", "ReplaceComparisonOperator_Eq_NotEq", "ReplaceComparisonOperator_NotEq_Eq",
    "ReplaceComparisonOperator_Is_IsNot", "ReplaceComparisonOperator_IsNot_Is",
    "ReplaceUnaryOperator_Delete_USub", "ReplaceUnaryOperator_Delete_Not",
    "ReplaceTrueWithFalse", "ReplaceFalseWithTrue", "ReplaceAndWithOr", "ReplaceOrWithAnd",
    "ReplaceBreakWithContinue", "ReplaceContinueWithBreak", "RemoveDecorator", "ZeroIterationForLoop",
)

ACTIVATIONS = {"relu": "sigmoid", "sigmoid": "relu", "tanh": "relu", "softmax": "sigmoid", "linear": "relu",
               "elu": "relu", "gelu": "relu", "selu": "relu", "softplus": "relu", "swish": "relu"}
OPTIMIZERS = {"adam": "sgd", "sgd": "adam", "rmsprop": "adam", "adamw": "sgd", "adagrad": "adam"}
OPTIMIZER_CLASSES = {"Adam": "SGD", "SGD": "Adam", "RMSprop": "Adam", "AdamW": "SGD", "Adagrad": "Adam"}
LOSSES = {"sparse_categorical_crossentropy": "categorical_crossentropy",
          "categorical_crossentropy": "sparse_categorical_crossentropy",
          "binary_crossentropy": "mse", "mse": "mae", "mean_squared_error": "mae", "mae": "mse",
          "mean_absolute_error": "mse"}
LOSS_CLASSES = {"SparseCategoricalCrossentropy": "CategoricalCrossentropy",
                "CategoricalCrossentropy": "SparseCategoricalCrossentropy",
                "BinaryCrossentropy": "MeanSquaredError", "MeanSquaredError": "MeanAbsoluteError",
                "MeanAbsoluteError": "MeanSquaredError"}
POOLS = {"AvgPool1D": "MaxPool1D", "AvgPool2D": "MaxPool2D", "AvgPool3D": "MaxPool3D",
         "MaxPool1D": "AvgPool1D", "MaxPool2D": "AvgPool2D", "MaxPool3D": "AvgPool3D",
         "AveragePooling1D": "MaxPooling1D", "AveragePooling2D": "MaxPooling2D", "AveragePooling3D": "MaxPooling3D",
         "MaxPooling1D": "AveragePooling1D", "MaxPooling2D": "AveragePooling2D", "MaxPooling3D": "AveragePooling3D",
         "GlobalAveragePooling2D": "GlobalMaxPooling2D", "GlobalMaxPooling2D": "GlobalAveragePooling2D",
         "GlobalAvgPool2D": "GlobalMaxPool2D", "GlobalMaxPool2D": "GlobalAvgPool2D"}
ACTIVATION_CALLS = {"relu", "sigmoid", "tanh", "softmax", "elu", "gelu", "selu", "softplus", "swish", "log_softmax"}
FLAGS = ("trainable", "training", "from_logits")
LAYER_SIZES = {"Dense": "units", "Conv1D": "filters", "Conv2D": "filters", "Conv3D": "filters"}


def expression(code: str, like: tree.NodeOrLeaf) -> tree.NodeOrLeaf:
    """A parso node for the expression `code`, with the whitespace before `like`."""
    node = parso.parse(code).children[0]
    node.get_first_leaf().prefix = like.get_first_leaf().prefix
    node.parent = like.parent
    return node


def keyword_argument(node: tree.NodeOrLeaf, names: tuple[str, ...] | set[str]) -> bool:
    """`name=value` in a call (an `argument` node) or a default in a `def` (a `param`)."""
    if node.type not in ("argument", "param") or len(node.children) < 3:
        return False
    name, equals = node.children[0], node.children[1]
    return name.type == "name" and name.value in names and equals.type == "operator" and equals.value == "="


def string_value(node: tree.NodeOrLeaf) -> str | None:
    """The text of a plain string literal, else None."""
    if node.type != "string" or node.value[:1] not in "\"'" or node.value[:3] in ('"""', "'''"):
        return None
    return node.value[1:-1]


def drop_argument(node: tree.NodeOrLeaf) -> None:
    """Deletes `node` from its argument list (the caller returns None), with one comma beside it."""
    siblings = node.parent.children
    at = siblings.index(node)
    for i in (at + 1, at - 1):
        if 0 <= i < len(siblings) and siblings[i].type == "operator" and siblings[i].value == ",":
            siblings[i].value = ""
            return


def dotted_callee(trailer: tree.NodeOrLeaf) -> str:
    """For a call trailer `(...)`, the code of what is called, e.g. `tf.keras.layers.Dense`."""
    parent = trailer.parent
    at = parent.children.index(trailer)
    return "".join(c.get_code(include_prefix=False) for c in parent.children[:at]).strip()


def in_function(node: tree.NodeOrLeaf) -> bool:
    return node.search_ancestor("funcdef") is not None


class MutationOperator(Operator):
    """Base of ours: a list of `(node-test, new-code)` rules, one mutation per match."""

    def replacements(self, node: tree.NodeOrLeaf) -> list[str | None]:
        """The code each mutation puts in place of `node` (None deletes it)."""
        raise NotImplementedError

    def mutation_positions(self, node: Any) -> Iterator[Position]:
        for _ in self.replacements(node):
            yield node.start_pos, node.end_pos

    def mutate(self, node: Any, index: int) -> Any:
        new = self.replacements(node)[index]
        if new is None:
            drop_argument(node)
            return None
        if node.type == "param":  # `name=value,` in a def: only the value changes
            node.children[2] = expression(new.split("=", 1)[1], node.children[2])
            return node
        return expression(new, node)

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        return ()


class NumberDoubled(MutationOperator):
    """`n` -> `2n` (cosmic-ray's NumberReplacer does ±1)."""

    def replacements(self, node):
        if node.type != "number" or node.value.lower().endswith("j"):
            return []
        value = eval(node.value)  # noqa: S307 - a parso number literal, nothing else
        return [] if value == 0 else [repr(value * 2)]


class AxisChanged(MutationOperator):
    """`axis=-1` -> `axis=0` or `axis=1`; `axis=0`/`axis=1` -> `axis=-1`."""

    def replacements(self, node):
        if not keyword_argument(node, ("axis",)):
            return []
        value = node.children[2].get_code(include_prefix=False).strip()
        options = {"-1": ["0", "1"], "0": ["-1"], "1": ["-1"]}.get(value, [])
        return [f"axis={v}" for v in options]


class ReturnChanged(MutationOperator):
    """`return value` -> `return None`, or -> `return <first argument>` (a layer that does nothing)."""

    def replacements(self, node):
        if node.type != "return_stmt" or len(node.children) < 2:
            return []
        value = node.children[1].get_code(include_prefix=False).strip()
        out = [] if value == "None" else ["return None"]
        first = _first_parameter(node)
        if first and first != value:
            out.append(f"return {first}")
        return out


def _first_parameter(node: tree.NodeOrLeaf) -> str | None:
    function = node.search_ancestor("funcdef")
    params = [p.name.value for p in function.get_params() if p.star_count == 0] if function else []
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    return params[0] if params else None


class StatementDeleted(MutationOperator):
    """A statement in a function body -> `pass` (returns and docstrings excepted)."""

    def replacements(self, node):
        if node.type != "simple_stmt" or not in_function(node) or node.search_ancestor("simple_stmt"):
            return []
        first = node.children[0]
        if first.type in ("return_stmt", "keyword") or first.type == "string" or first.type.startswith("import"):
            return []
        return ["pass\n"]


class ArgumentsSwapped(MutationOperator):
    """`f(a, b)` -> `f(b, a)`: each pair of neighbouring positional arguments."""

    def replacements(self, node):
        if node.type != "arglist":
            return []
        args = [c for c in node.children if c.type != "operator"]
        out = []
        for i in range(len(args) - 1):
            a, b = args[i], args[i + 1]
            if a.type == "argument" or b.type == "argument" or a.get_code().strip() == b.get_code().strip():
                continue
            codes = [c.get_code(include_prefix=False) for c in args]
            codes[i], codes[i + 1] = codes[i + 1], codes[i]
            out.append(", ".join(codes))
        return out


class ActivationChanged(MutationOperator):
    """`activation="relu"` -> another activation, or the argument removed (linear)."""

    def replacements(self, node):
        if not keyword_argument(node, ("activation",)):
            return []
        name = string_value(node.children[2])
        changed = f'activation="{ACTIVATIONS.get(name or "", "relu")}"'
        return [changed] if name == "linear" or node.type == "param" else [changed, None]


class ActivationCallRemoved(MutationOperator):
    """`tf.nn.relu(x)` -> `x`: the activation function call dropped."""

    def replacements(self, node):
        if node.type != "atom_expr" or node.children[-1].type != "trailer":
            return []
        call = node.children[-1]
        callee = dotted_callee(call)
        if call.children[0].value != "(" or callee.rsplit(".", 1)[-1] not in ACTIVATION_CALLS or "." not in callee:
            return []
        inner = call.children[1]
        if inner.type == "arglist":
            inner = inner.children[0]
        return [f"({inner.get_code(include_prefix=False).strip()})"] if inner.type != "operator" else []


class PaddingChanged(MutationOperator):
    """`padding="same"` <-> `padding="valid"`."""

    def replacements(self, node):
        if node.type != "argument" or not keyword_argument(node, ("padding",)):
            return []
        value = string_value(node.children[2])
        return {"same": ['padding="valid"'], "valid": ['padding="same"']}.get(value or "", [])


class NameSwapped(MutationOperator):
    """A class name swapped for its counterpart (see the subclasses' tables)."""

    table: dict[str, str] = {}

    def replacements(self, node):
        if node.type != "name" or node.value not in self.table or node.parent.type == "classdef":
            return []
        return [self.table[node.value]]


class PoolingSwapped(NameSwapped):
    """`AvgPool2D` <-> `MaxPool2D` (and the other pooling layers)."""

    table = POOLS


class OptimizerChanged(NameSwapped):
    """`optimizers.Adam` <-> `optimizers.SGD`; see also OptimizerNameChanged for strings."""

    table = OPTIMIZER_CLASSES


class LossClassChanged(NameSwapped):
    """`losses.SparseCategoricalCrossentropy` <-> `losses.CategoricalCrossentropy`, and so on."""

    table = LOSS_CLASSES


class KeywordStringChanged(MutationOperator):
    """`keyword="name"` -> the name the table gives."""

    keyword = ""
    table: dict[str, str] = {}

    def replacements(self, node):
        if node.type != "argument" or not keyword_argument(node, (self.keyword,)):
            return []
        value = string_value(node.children[2])
        return [f'{self.keyword}="{self.table[value]}"'] if value in self.table else []


class OptimizerNameChanged(KeywordStringChanged):
    """`optimizer="adam"` -> `optimizer="sgd"`, and so on."""

    keyword, table = "optimizer", OPTIMIZERS


class LossNameChanged(KeywordStringChanged):
    """`loss="sparse_categorical_crossentropy"` -> `loss="categorical_crossentropy"`, and so on."""

    keyword, table = "loss", LOSSES


class FlagChanged(MutationOperator):
    """`trainable=`/`training=`/`from_logits=` flipped or removed; `x.trainable = v` flipped."""

    def replacements(self, node):
        if keyword_argument(node, FLAGS):
            name, value = node.children[0].value, node.children[2].get_code(include_prefix=False).strip()
            return [f"{name}={_negated(value)}"] + ([None] if node.type == "argument" else [])
        if node.type == "expr_stmt" and _assigns_flag(node):
            target, value = node.children[0].get_code(include_prefix=False), node.children[2].get_code(include_prefix=False)
            return [f"{target} = {_negated(value.strip())}"]
        return []


def _negated(value: str) -> str:
    return {"True": "False", "False": "True"}.get(value, f"not ({value})")


def _assigns_flag(node: tree.NodeOrLeaf) -> bool:
    target = node.children[0]
    if len(node.children) != 3 or node.children[1].type != "operator" or node.children[1].value != "=":
        return False
    last = target.get_last_leaf()
    return last.type == "name" and last.value in FLAGS and target.type == "atom_expr"


class LearningRateScaled(MutationOperator):
    """`learning_rate=v` (a call's argument or a default) -> `v * 10` and `v / 10`."""

    def replacements(self, node):
        if not keyword_argument(node, ("learning_rate", "lr")):
            return []
        name = node.children[0].value
        value = node.children[2].get_code(include_prefix=False).strip()
        return [f"{name}=({value}) * 10", f"{name}=({value}) / 10"]


class SizeChanged(MutationOperator):
    """`units=`/`filters=` (or Dense's/ConvND's first positional argument) -> `value + 1`."""

    def replacements(self, node):
        if node.type == "argument" and keyword_argument(node, ("units", "filters")):
            name, value = node.children[0].value, node.children[2].get_code(include_prefix=False).strip()
            return [f"{name}=({value}) + 1"]
        if node.type in ("argument", "arglist", "operator", "keyword") or node.parent is None:
            return []
        if node.parent.type == "arglist" and node.parent.children[0] is node:
            trailer = node.parent.parent
        elif node.parent.type == "trailer" and node.parent.children[1] is node:
            trailer = node.parent
        else:
            return []
        if trailer.type != "trailer" or dotted_callee(trailer).rsplit(".", 1)[-1] not in LAYER_SIZES:
            return []
        return [f"({node.get_code(include_prefix=False).strip()}) + 1"]


class CompileRemoved(MutationOperator):
    """A `model.compile(...)` statement -> `pass`."""

    def replacements(self, node):
        if node.type != "simple_stmt" or node.children[0].type != "atom_expr":
            return []
        call = node.children[0]
        if len(call.children) < 2 or call.children[-1].type != "trailer":
            return []
        return ["pass\n"] if dotted_callee(call.children[-1]).endswith(".compile") else []


KERAS: tuple[type[MutationOperator], ...] = (
    ActivationChanged, ActivationCallRemoved, PaddingChanged, PoolingSwapped, FlagChanged, OptimizerChanged,
    OptimizerNameChanged, LossClassChanged, LossNameChanged, LearningRateScaled, SizeChanged, CompileRemoved,
    AxisChanged,
)
GENERAL: tuple[type[MutationOperator], ...] = (NumberDoubled, ReturnChanged, ArgumentsSwapped, StatementDeleted)


def all_operators() -> dict[str, type[Operator]]:
    """Every operator by its name, in a fixed order: the order mutants are listed in.

    Two operators can make the same mutant (`training=False` flipped is also False -> True);
    the first one names it, so the Keras operators come first.
    """
    cosmic = provider.OperatorProvider()
    operators: dict[str, type[Operator]] = {op.__name__: op for op in KERAS}
    operators.update({name: cosmic[name] for name in _COSMIC_RAY})
    operators.update({op.__name__: op for op in GENERAL})
    return operators
