"""Which top-level statements a submission needs: a def-use slice from the graded names.

Roots are the names the assignment grades. A statement is kept when it is an
import, or when it binds or changes (assigns, augments, calls a method on,
assigns into, or calls a function that declares it `global`) a name that kept
code reads. What a definition reads (function bodies, class bodies, decorators,
defaults, annotations, base classes) comes from beniget's def-use chains over
Python's own AST, so local variables, comprehension variables and class scopes
are told apart the way Python does. Statements inside top-level `if`, `for`,
`while`, `with` and `try` are units of their own: the enclosing statement is
kept (its header too) when something inside it is, and the rest of its body is
dropped like any other statement.
"""
from __future__ import annotations

import ast
import functools
from collections import deque
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

CONTAINERS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
IMPORTS = (ast.Import, ast.ImportFrom)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
          ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# beniget runs once per kept definition; past this many, names are collected without scopes
# (which keeps more, never less), so a hostile file cannot make the judge work for minutes.
MAX_SCOPED_ANALYSES = 3000


@dataclass
class Unit:
    """One statement: a simple statement or definition, or a compound statement's header."""

    node: ast.stmt
    parent: int | None
    binds: set[str] = field(default_factory=set)
    changes: set[str] = field(default_factory=set)
    header_reads: set[str] = field(default_factory=set)
    loads: set[str] = field(default_factory=set)  # names read in the statement's own scope
    called: set[str] = field(default_factory=set)  # plain names it calls: `setup()`
    methods: set[str] = field(default_factory=set)  # names it calls a method on: `X.append(...)`
    scoped: bool = False  # it holds a lambda, comprehension or body: reads need beniget's scopes


@dataclass(frozen=True)
class Selection:
    """The kept statements (by identity), which graded name needed each, and every name needed."""

    kept: frozenset[int]
    needed_by: dict[int, str]
    needed: frozenset[str]
    bound: frozenset[str]
    binds: dict[int, frozenset[str]]  # per statement, its nested blocks included

    def bound_names(self, node: ast.stmt) -> frozenset[str]:
        return self.binds.get(id(node), frozenset())

    def keeps(self, node: ast.stmt) -> bool:
        return id(node) in self.kept


def bodies(node: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists nested directly in a compound statement."""
    if isinstance(node, (ast.Try, ast.TryStar)):
        return [b for b in [node.body, *[h.body for h in node.handlers], node.orelse, node.finalbody] if b]
    if isinstance(node, CONTAINERS):
        return [b for b in (node.body, getattr(node, "orelse", [])) if b]
    return []


def select(tree: ast.Module, roots: Collection[str]) -> Selection:
    """Keep what the roots need, transitively; see the module docstring for the rule."""
    units = _units(tree.body)
    _mark_changes(units)
    index: dict[str, list[int]] = {}
    for number, unit in enumerate(units):
        for name in unit.binds | unit.changes:
            index.setdefault(name, []).append(number)
    reader = _Reader()
    kept: dict[int, str] = {}
    needed: set[str] = set()
    queue: deque[tuple[str, str]] = deque()

    def keep(number: int, root: str) -> None:
        while number is not None and number not in kept:
            kept[number] = root
            unit = units[number]
            for name in reader.reads(unit) - needed:
                needed.add(name)
                queue.append((name, root))
            number = unit.parent  # type: ignore[assignment]

    for number, unit in enumerate(units):
        if isinstance(unit.node, IMPORTS) or (unit.parent is None and _inert(unit.node)):
            keep(number, "")
    for root in roots:
        needed.add(root)
        queue.append((root, root))
    while queue:
        name, root = queue.popleft()
        for number in index.get(name, ()):
            keep(number, root)
    bound = set().union(*(units[n].binds for n in kept)) if kept else set()
    return Selection(kept=frozenset(id(units[n].node) for n in kept),
                     needed_by={id(units[n].node): root for n, root in kept.items() if root},
                     needed=frozenset(needed), bound=frozenset(bound), binds=_nested_binds(units))


def _nested_binds(units: list[Unit]) -> dict[int, frozenset[str]]:
    out: dict[int, set[str]] = {}
    for unit in reversed(units):  # children come after their parent: fold them upwards
        mine = out.get(id(unit.node))
        mine = unit.binds if mine is None else mine | unit.binds
        out[id(unit.node)] = mine
        if unit.parent is not None:
            out.setdefault(id(units[unit.parent].node), set()).update(mine)
    return out  # type: ignore[return-value]


def top_level_definitions(tree: ast.Module) -> list[str]:
    """Functions and classes defined at top level, inside compound statements too."""
    return [u.node.name for u in _units(tree.body) if isinstance(u.node, DEFINITIONS)]  # type: ignore[union-attr]


def _units(body: list[ast.stmt], parent: int | None = None, out: list[Unit] | None = None) -> list[Unit]:
    out = [] if out is None else out
    for stmt in body:
        number = len(out)
        unit = Unit(node=stmt, parent=parent)
        out.append(unit)
        if isinstance(stmt, CONTAINERS):
            unit.binds, unit.header_reads = _header(stmt)
            for inner in bodies(stmt):
                _units(inner, number, out)
        elif isinstance(stmt, DEFINITIONS):
            unit.binds, unit.scoped = {stmt.name}, True
        elif isinstance(stmt, IMPORTS):
            unit.binds = {(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"}
        else:
            _scan(stmt, unit)
    return out


def _header(node: ast.stmt) -> tuple[set[str], set[str]]:
    """Names a compound statement's own header binds and reads (not its body's)."""
    parts: list[ast.AST] = []
    if isinstance(node, (ast.For, ast.AsyncFor)):
        parts = [node.target, node.iter]
    elif isinstance(node, (ast.If, ast.While)):
        parts = [node.test]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        parts = list(node.items)
    elif isinstance(node, (ast.Try, ast.TryStar)):
        parts = [h.type for h in node.handlers if h.type is not None]
    binds = {h.name for h in getattr(node, "handlers", []) if h.name}
    reads: set[str] = set()
    for part in parts:
        for sub in _walk_scope(part):
            if isinstance(sub, ast.Name):
                (reads if isinstance(sub.ctx, ast.Load) else binds).add(sub.id)
    return binds, reads


def _scan(stmt: ast.stmt, unit: Unit) -> None:
    """One walk over a simple statement: what it binds, changes in place, reads and calls."""
    if _plain_call(stmt):  # `name(x, 1)`: the common line of a flood of top-level work, no walk needed
        unit.called.add(stmt.value.func.id)  # type: ignore[attr-defined]
        unit.loads.update(a.id for a in stmt.value.args if isinstance(a, ast.Name))  # type: ignore[attr-defined]
        unit.loads.add(stmt.value.func.id)  # type: ignore[attr-defined]
        return
    for sub in _walk_scope(stmt):
        kind = type(sub)
        if kind is ast.Name:
            (unit.loads if isinstance(sub.ctx, ast.Load) else unit.binds).add(sub.id)  # type: ignore[attr-defined]
        elif kind is ast.NamedExpr and isinstance(sub.target, ast.Name):  # type: ignore[attr-defined]
            unit.binds.add(sub.target.id)  # type: ignore[attr-defined]
        elif kind is ast.AugAssign and isinstance(sub.target, ast.Name):  # type: ignore[attr-defined]
            unit.loads.add(sub.target.id)  # type: ignore[attr-defined]
        elif kind in (ast.Attribute, ast.Subscript) and isinstance(sub.ctx, (ast.Store, ast.Del)):  # type: ignore[attr-defined]
            unit.changes.add(_root_name(sub))  # type: ignore[arg-type]
        elif kind is ast.Call:
            func = sub.func  # type: ignore[attr-defined]
            if isinstance(func, (ast.Attribute, ast.Subscript)):
                unit.methods.add(_root_name(func))
            elif isinstance(func, ast.Name):
                unit.called.add(func.id)
        elif kind in SCOPES:
            unit.scoped = True


def _inert(stmt: ast.stmt) -> bool:
    """A docstring or `pass` at top level: no work, kept as written and not reported."""
    return isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                                          and isinstance(stmt.value.value, str))


def _plain_call(stmt: ast.stmt) -> bool:
    value = getattr(stmt, "value", None)
    return (type(stmt) is ast.Expr and type(value) is ast.Call and type(value.func) is ast.Name
            and not value.keywords and all(type(a) in (ast.Name, ast.Constant) for a in value.args))


def _mark_changes(units: list[Unit]) -> None:
    """Finish what each statement changes: methods called on variables (not on modules: `tf.x(...)` is
    no change of `tf`, while `np.allclose = f` is), and the globals a function it calls declares."""
    modules = set().union(*(u.binds for u in units if isinstance(u.node, IMPORTS))) if units else set()
    variables = set().union(*(u.binds for u in units if not isinstance(u.node, IMPORTS))) if units else set()
    modules -= variables
    globals_of = {u.node.name: _declared_globals(u.node) for u in units
                  if isinstance(u.node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for unit in units:
        for name in unit.called & globals_of.keys():
            unit.changes |= globals_of[name]
        unit.changes |= unit.methods - modules
        unit.changes.discard("")


def _root_name(node: ast.expr) -> str:
    """`X` of `X.a[0].b`; nothing for `f(...).b`, which changes a new object, not a global."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _declared_globals(node: ast.AST) -> set[str]:
    return {name for sub in ast.walk(node) if isinstance(sub, ast.Global) for name in sub.names}


def _walk_scope(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes evaluated in the statement's own (module) scope; a nested scope yields itself and its head only."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        if isinstance(current, SCOPES) and current is not node:
            todo.extend(_scope_head(current))
            continue
        for name in current._fields:
            value = getattr(current, name, None)
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend(v for v in value if isinstance(v, ast.AST))


def _scope_head(node: ast.AST) -> list[ast.AST]:
    """Parts of a nested scope evaluated where it is written: decorators, defaults, bases, first iterable."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        return [*getattr(node, "decorator_list", []), *args.defaults, *[d for d in args.kw_defaults if d]]
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *node.keywords]
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return [node.generators[0].iter]
    return []


class _Reader:
    """Global names a unit reads, with beniget's scopes for anything that opens a scope."""

    def __init__(self) -> None:
        self.analyses = 0

    def reads(self, unit: Unit) -> set[str]:
        node = unit.node
        if isinstance(node, CONTAINERS):
            return unit.header_reads
        if isinstance(node, IMPORTS):
            return set()
        if not unit.scoped:
            return unit.loads
        if self.analyses < MAX_SCOPED_ANALYSES:
            self.analyses += 1
            scoped = _scoped_reads(node)
            if scoped is not None:
                return scoped | _declared_globals(node)
        return _loaded(node) - _own_binds(node)


def _loaded(node: ast.AST) -> set[str]:
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names | {n.target.id for n in ast.walk(node) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}


def _own_binds(node: ast.stmt) -> set[str]:
    return {node.name} if isinstance(node, DEFINITIONS) else set()


def _scoped_reads(node: ast.stmt) -> set[str] | None:
    """Names the statement reads that it does not bind itself, per beniget; None if beniget gives up."""
    chains = _unbound_collector()()
    try:
        chains.visit(ast.Module(body=[node], type_ignores=[]))
    except Exception:  # noqa: BLE001 - beniget asserts on some odd code; fall back to every name
        return None
    return chains.names | _builtins_used(node)


@functools.cache
def _unbound_collector() -> type:
    """beniget's def-use chains, collecting the names a statement reads without binding them."""
    import beniget

    class Unbound(beniget.DefUseChains):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.names: set[str] = set()

        def unbound_identifier(self, name: str, node: ast.AST) -> None:
            self.names.add(name)

        def warn(self, msg: str, node: ast.AST) -> None:
            pass  # beniget prints its warnings; ours go nowhere

    return Unbound


def _builtins_used(node: ast.stmt) -> set[str]:
    """Builtins the statement uses (`input`, `list`): beniget resolves them, but a top-level rebinding counts."""
    import builtins

    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return {n for n in names if hasattr(builtins, n)} - _locally_bound(node)


def _locally_bound(node: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)} | {
        a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}


PROBE_MODULE_ARGS = ("sub", "submission", "module", "mod", "student")


def probe_names(probes: Path) -> set[str]:
    """Attributes the probes read off the submission module (their first parameter, `sub`)."""
    try:
        tree = ast.parse(probes.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or not func.args.args:
            continue
        if func.args.args[0].arg not in PROBE_MODULE_ARGS:
            continue
        module = func.args.args[0].arg
        for sub in ast.walk(func):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == module:
                names.add(sub.attr)
            if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in ("getattr", "hasattr")
                    and len(sub.args) > 1 and isinstance(sub.args[0], ast.Name) and sub.args[0].id == module
                    and isinstance(sub.args[1], ast.Constant) and isinstance(sub.args[1].value, str)):
                names.add(sub.args[1].value)
    return names
