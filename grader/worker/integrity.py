"""Namespaces the worker relies on, recorded before student code runs and checked before every reply.

Writing into a module's namespace (`vars(module)[name] = f`, `setattr(module, name, f)`) or a class's
raises no audit event, so the tripwire cannot see it. The request loop records, before the submission's
first statement, what these names are bound to, and before each reply checks that they are the very same
objects (identity, never `==`): every name of every `grader` module loaded in the worker, every global of
the probes module, each name the probes' code reads from a module or a class it reaches through one (and
the whole namespace of those classes and their bases), and the builtins the probes use. A change ends the
worker as tampered. The check itself takes what it calls as positional defaults bound at import, so a
changed global cannot change it (`tests/worker/test_integrity.py` checks its bytecode).

What this does not see: a name changed and put back between two replies (by a finalizer, or a thread of
the student's), and what library code reached only indirectly (Keras's own internals) does with a changed
name. The README's security model says so.
"""
from __future__ import annotations

import ast
import builtins
import itertools
import operator
import sys
import types
from collections.abc import Iterable, Mapping
from typing import Any

MISSING = object()
NO_KIDS: Mapping[int, tuple[tuple[str, ...], tuple[Any, ...]]] = types.MappingProxyType({})
# (label, namespace.get, names, values, namespace.__len__, length or -1, what was recorded inside the modules bound)
Space = tuple[str, Any, tuple[str, ...], tuple[Any, ...], Any, int, Mapping[int, tuple[tuple[str, ...], tuple[Any, ...]]]]


def record(label: str, namespace: Mapping[str, Any], keys: Iterable[str] | None = None, *,
           exact: bool = False, kids: Mapping[int, tuple[tuple[str, ...], tuple[Any, ...]]] = NO_KIDS) -> Space:
    """`namespace`'s `keys` (all of them when None) as bound now; `exact`: no name may be added either; `kids`:
    what was recorded inside the modules these names are bound to (see `same_module`)."""
    names = tuple(namespace.keys()) if keys is None else tuple(dict.fromkeys(keys))
    values = tuple(namespace.get(name, MISSING) for name in names)
    return (label, namespace.get, names, values, namespace.__len__, len(namespace) if exact else -1, kids)


def same_module(now: Any, then: Any, kids: Mapping[int, tuple[tuple[str, ...], tuple[Any, ...]]],
                _type: Any = type, _module: Any = types.ModuleType, _isinstance: Any = isinstance, _vars: Any = vars,
                _zip: Any = zip, _id: Any = id, _missing: Any = MISSING) -> bool:
    """Is `now`, bound where the module `then` was, a module the probes cannot tell from it? Importing a
    submodule rebinds its name in the parent (`from tensorflow.keras import layers` puts a module
    `tensorflow.keras` where TensorFlow's lazy loader left `keras._tf_keras.keras`): honest, so not a change
    when every name recorded inside `then` is the very same object inside `now`, all the way down."""
    pairs = [(now, then)]
    while pairs:
        now, then = pairs.pop()
        if now is then:
            continue
        inside = kids.get(_id(then)) if _isinstance(then, _module) else None
        if _type(now) is not _module or inside is None:  # (an exact module: vars() runs no code of anyone's)
            return False
        namespace = _vars(now)
        for name, value in _zip(*inside):
            pairs.append((namespace.get(name, _missing), value))
    return True


def first_change(spaces: tuple[Space, ...], _all: Any = all, _map: Any = map, _is: Any = operator.is_,
                 _repeat: Any = itertools.repeat, _zip: Any = zip, _missing: Any = MISSING,
                 _same_module: Any = same_module) -> str | None:
    """The first name bound to another object than when it was recorded ('grader.protocol.encode'), or None."""
    for label, get, names, values, size, length, kids in spaces:
        if not _all(_map(_is, _map(get, names, _repeat(_missing)), values)):
            for name, value in _zip(names, values):
                now = get(name, _missing)
                if now is not value and not _same_module(now, value, kids):
                    return label + name
        if length >= 0 and size() != length:
            return label + "(a new name)"
    return None


def grader_spaces(modules: Mapping[str, Any] | None = None) -> list[Space]:
    """Every `grader` module loaded here, whole (names may be added: importing a submodule adds one)."""
    loaded = dict(sys.modules if modules is None else modules)
    return [record(f"{name}.", vars(module)) for name, module in sorted(loaded.items())
            if (name == "grader" or name.startswith("grader.")) and isinstance(module, types.ModuleType)]


def probe_spaces(probes: types.ModuleType, source: str | None) -> list[Space]:
    """The probes' own globals, and what their code reads through modules, classes and builtins."""
    spaces = [record("the probes' ", vars(probes))]
    names, chains = _reads(source)
    missing = sorted(n for n in names if n not in vars(probes))
    spaces.append(record("the probes' ", vars(probes), missing))  # a global added to shadow a builtin
    spaces.append(record("builtins.", vars(builtins), [n for n in missing if n in vars(builtins)]))
    held: dict[int, tuple[str, Mapping[str, Any], set[str]]] = {}
    classes: dict[int, type] = {}
    for settled in (False, True):  # twice: the first pass lets lazy loaders replace themselves
        held.clear()
        classes.clear()
        for chain in chains:
            _follow(getattr(probes, chain[0], None), chain[0], chain[1:], held, classes)
    kids = types.MappingProxyType({key: (names, tuple(namespace.get(n, MISSING) for n in names))
                                   for key, (_, namespace, keys) in held.items() for names in [tuple(sorted(keys))]})
    for label, namespace, keys in held.values():
        spaces.append(record(label, namespace, keys, kids=kids))
    for cls in classes.values():
        for base in cls.__mro__:
            if base is not object and base.__module__ != "builtins":
                spaces.append(record(f"{base.__module__}.{base.__qualname__}.", vars(base)))
    return spaces


def _follow(holder: Any, label: str, rest: tuple[str, ...], held: dict[int, Any], classes: dict[int, type]) -> None:
    """Record each step of `holder.a.b.c` taken through a module or a class, resolving it now (lazy
    attributes load here, before student code, so what is recorded is what later lookups find)."""
    for name in rest:
        if isinstance(holder, type):
            classes[id(holder)] = holder
        if not isinstance(holder, (types.ModuleType, type)):
            return
        try:
            nxt = getattr(holder, name)
        except Exception:  # noqa: BLE001 - a probe's attribute that does not resolve here: nothing to pin
            return
        entry = held.setdefault(id(holder), (f"{getattr(holder, '__name__', label)}.", vars(holder), set()))
        entry[2].add(name)
        holder, label = nxt, f"{label}.{name}"
    if isinstance(holder, type):
        classes[id(holder)] = holder


def _reads(source: str | None) -> tuple[set[str], set[tuple[str, ...]]]:
    """Global names the probes' code reads, and the attribute chains rooted at them (`tf.keras.layers.Dense`)."""
    if not source:
        return set(), set()
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    chains = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts = []
            while isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name):
                chains.add((node.id, *reversed(parts)))
    return names, chains
