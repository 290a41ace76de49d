"""Does the code that runs reach for the grader itself? A static check, in the judge.

Probes share the worker's interpreter with the student's code, so a submission
that rebinds the worker's request loop or a probe function could answer the
judge's requests from their inputs. Nothing in that process can make this
impossible; what we can do is read the code before it runs:

- `tampering` (score 0, a message for the instructor): the code names the
  grader's internals or the probes module: imports of `grader.*` other than the
  student-facing ones, `grader.<internal>` attribute chains, string literals
  naming them (`sys.modules["grader.worker"]`, `__import__("grader_probes")`);
- `introspection` (flagged, no penalty): garbage-collector and frame
  introspection (`gc.get_objects`, `sys._getframe`, `inspect.stack`, `f_back`,
  `f_globals`, `tb_frame`, `__globals__`...), searches of `sys.modules`, imports by
  computed name, and replacing an attribute of an imported module (`json.dumps = ...`:
  the worker's reply path runs through such modules), which could reach or bend them
  without naming them.

This detects the plain ways in; a determined student can hide a name from any
static check (see the README's security model).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from grader.intake.extract import Extracted

PROBES_MODULE = "grader_probes"
# What students are taught to use: `from grader import check`, and the exercises' own helper modules.
STUDENT_NAMES = frozenset({"check", "pretrained", "offline_data"})
STUDENT_MODULES = frozenset({"grader", "grader.pretrained", "grader.offline_data"})
INTROSPECTION_ATTRS = frozenset({
    "get_objects", "get_referrers", "get_referents",  # gc
    "_getframe", "_current_frames", "settrace", "setprofile", "currentframe", "getouterframes",
    "getinnerframes", "f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame", "cr_frame",
    "ag_frame", "__globals__",
})
INSPECT_FRAMES = frozenset({"stack", "trace"})  # inspect.stack(), inspect.trace()
DYNAMIC_IMPORTS = frozenset({"__import__", "import_module"})
_GRADER_NAME = re.compile(r"\bgrader(?:\.\w+)+|\bgrader_probes\b|^\s*grader\s*$")
MAX_FINDINGS = 20


@dataclass
class Review:
    """What the static check found, as (line, what) pairs per kind."""

    tampering: list[tuple[int, str]] = field(default_factory=list)
    introspection: list[tuple[int, str]] = field(default_factory=list)

    @property
    def flags(self) -> set[str]:
        return {kind for kind in ("tampering", "introspection") if getattr(self, kind)}

    def notes(self, extracted: Extracted) -> tuple[str, ...]:
        """For the instructor: each finding, at the student's line."""
        return tuple(f"{kind}: {extracted.where(line)}: {what}"
                     for kind in ("tampering", "introspection") for line, what in getattr(self, kind))

    def message(self, extracted: Extracted) -> str:
        where = "; ".join(f"{extracted.where(line)}: {what}" for line, what in self.tampering[:3])
        return ("Your code refers to the grader's own machinery (" + where + "), which could change how it is "
                "graded, so it scores 0 and your instructor will review it. Only `from grader import check` "
                "and the helpers the exercise names may be used.")


def review(code: str) -> Review:
    """Scan `code` (the extracted module that runs) for references to the grader's internals."""
    found = Review()
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return found  # extraction already reported code that does not parse
    aliases = _grader_aliases(tree)
    modules = _module_names(tree)
    named = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Subscript) and _constant_str(n.slice)}
    for node in ast.walk(tree):
        findings = _check(node, aliases) + _check_patch(node, modules)
        if _is_sys_modules(node) and id(node) not in named:  # iterated, .get(), .values(): not one named module
            findings.append(("introspection", "searches sys.modules"))
        for kind, what in findings:
            bucket = getattr(found, kind)
            if len(bucket) < MAX_FINDINGS:
                bucket.append((getattr(node, "lineno", 1), what))
    return found


def _grader_aliases(tree: ast.Module) -> set[str]:
    """Names bound to the `grader` package itself (`import grader`, `import grader as g`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "grader" or (alias.name.startswith("grader.") and alias.asname is None):
                    names.add(alias.asname or "grader")
    return names


def _module_names(tree: ast.Module) -> set[str]:
    """Names that `import` statements bind to modules."""
    return {alias.asname or alias.name.split(".")[0]
            for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}


def _check_patch(node: ast.AST, modules: set[str]) -> list[tuple[str, str]]:
    """`json.dumps = ...`, `del os.write`, `setattr(np, "save", ...)`: a module of the process changed."""
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    elif isinstance(node, ast.Delete):
        targets = list(node.targets)
    elif isinstance(node, ast.Call) and _name_of(node.func) in ("setattr", "delattr") and node.args:
        targets = [ast.Attribute(value=node.args[0], attr="…")]
    while any(isinstance(t, (ast.Tuple, ast.List, ast.Starred)) for t in targets):  # `json.dumps, x = ...`
        targets = [e for t in targets for e in (t.elts if isinstance(t, (ast.Tuple, ast.List))
                                                else [t.value] if isinstance(t, ast.Starred) else [t])]
    found = []
    for target in targets:
        root, chain = target, []
        while isinstance(root, ast.Attribute):
            chain.append(root.attr)
            root = root.value
        if chain and isinstance(root, ast.Name) and root.id in modules:
            found.append(("introspection", f"replaces {'.'.join([root.id, *reversed(chain)])[:80]}"))
    return found


def _check(node: ast.AST, aliases: set[str]) -> list[tuple[str, str]]:
    if isinstance(node, ast.Import):
        return [("tampering", f"imports {a.name}") for a in node.names if _internal_module(a.name)]
    if isinstance(node, ast.ImportFrom):
        return _check_from(node)
    if isinstance(node, ast.Attribute):
        return _check_attribute(node, aliases)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _check_text(node.value)
    if isinstance(node, ast.Call) and _name_of(node.func) in DYNAMIC_IMPORTS and node.args \
            and not _constant_str(node.args[0]):
        return [("introspection", f"imports a module by a computed name ({_name_of(node.func)})")]
    return []


def _check_from(node: ast.ImportFrom) -> list[tuple[str, str]]:
    module = node.module or ""
    if node.level:
        return []
    if module == "grader":
        return [("tampering", f"imports grader.{a.name}") for a in node.names if a.name not in STUDENT_NAMES]
    if _internal_module(module):
        return [("tampering", f"imports from {module}")]
    if module in ("sys", "inspect", "gc"):
        names = INTROSPECTION_ATTRS | (INSPECT_FRAMES if module == "inspect" else set())
        return [("introspection", f"imports {module}.{a.name}") for a in node.names if a.name in names]
    return []


def _check_attribute(node: ast.Attribute, aliases: set[str]) -> list[tuple[str, str]]:
    base = node.value
    if isinstance(base, ast.Name) and base.id in aliases and node.attr not in STUDENT_NAMES:
        return [("tampering", f"uses grader.{node.attr}")]
    if node.attr in INTROSPECTION_ATTRS:
        return [("introspection", f"uses {node.attr}")]
    if isinstance(base, ast.Name) and base.id == "inspect" and node.attr in INSPECT_FRAMES:
        return [("introspection", f"uses inspect.{node.attr}")]
    return []


def _check_text(text: str) -> list[tuple[str, str]]:
    for match in _GRADER_NAME.finditer(text[:10_000]):
        name = match.group().strip()
        student = name in ("grader.check", "grader.pretrained", "grader.offline_data") or name.startswith(
            ("grader.pretrained.", "grader.offline_data."))
        if not student:
            return [("tampering", f"names {name[:60]!r} in a string")]
    return []


def _internal_module(name: str) -> bool:
    top = name.split(".")[0]
    return top == PROBES_MODULE or (top == "grader" and name not in STUDENT_MODULES)


def _is_sys_modules(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "modules" and _name_of(node.value) == "sys"


def _constant_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _name_of(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""
