"""Does the code that runs name the grader's internals? A static check, in the judge.

Every module of the submission is read before anything runs: the extracted code and each of its own
modules (`%%writefile` cells, `# %%writefile` cells of a Colab download, files run with `%run`), each
finding reported at its origin (cell and line, or the file and line).

- `tampering` (not run; held for the instructor, never scored): the code names one of the grader's
  real internal modules, taken from the package itself (every module under `grader/` but the
  student-facing `grader`, `grader.pretrained` and `grader.offline_data`), or the probes module
  `grader_probes`: an import of it, a `grader.<internal>` attribute chain, or a string that is such a
  module's dotted name (`sys.modules["grader.worker.serve"]`, `import_module("grader.protocol")`).
  Docstrings, comments, URLs (`keras-grader.readthedocs.io`), addresses (`grader.help@uni.edu`) and
  titles (`Copy of concat-for-grader.ipynb`) are never module names and never count.
- `introspection` (flagged, no penalty): garbage-collector and frame introspection (`gc.get_objects`,
  `sys._getframe`, `inspect.stack`, `f_back`, `tb_frame`, `__globals__`...), searches of `sys.modules`,
  imports by computed name, and replacing an attribute of an imported module (`json.dumps = ...`).

A name built at run time escapes any static check; what such code does is caught in the worker, as it
runs, by its tripwire (`grader.worker.tripwire`) and integrity checks (`grader.worker.integrity`).
"""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from pathlib import Path

from grader.intake.extract import Extracted

PROBES_MODULE = "grader_probes"
# What students are taught to use: `from grader import check`, and the exercises' own helper modules.
STUDENT_NAMES = frozenset({"check", "pretrained", "offline_data", "__version__"})
STUDENT_MODULES = frozenset({"grader", "grader.pretrained", "grader.offline_data"})
INTROSPECTION_ATTRS = frozenset({
    "get_objects", "get_referrers", "get_referents",  # gc
    "_getframe", "_current_frames", "settrace", "setprofile", "currentframe", "getouterframes",
    "getinnerframes", "f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame", "cr_frame",
    "ag_frame", "__globals__",
})
INSPECT_FRAMES = frozenset({"stack", "trace"})  # inspect.stack(), inspect.trace()
DYNAMIC_IMPORTS = frozenset({"__import__", "import_module"})
MAX_FINDINGS = 20


@functools.cache
def internal_modules() -> frozenset[str]:
    """The grader's own modules, read from the package on disk, plus the probes module; not the student-facing."""
    root = Path(__file__).resolve().parents[1]
    names = set()
    for path in root.rglob("*.py"):
        parts = ("grader",) + path.relative_to(root).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return frozenset(names - STUDENT_MODULES) | {PROBES_MODULE}


@dataclass
class Review:
    """What the static check found, as (where, what) pairs per kind, `where` in the student's terms."""

    tampering: list[tuple[str, str]] = field(default_factory=list)
    introspection: list[tuple[str, str]] = field(default_factory=list)

    @property
    def flags(self) -> set[str]:
        return {kind for kind in ("tampering", "introspection") if getattr(self, kind)}

    def notes(self) -> tuple[str, ...]:
        """For the instructor: each finding, where it is."""
        return tuple(f"{kind}: {where}: {what}" for kind in ("tampering", "introspection")
                     for where, what in getattr(self, kind))

    def events(self) -> list[dict[str, str]]:
        """The `tampering` findings as a held report's events."""
        return [{"where": where, "event": what} for where, what in self.tampering]

    def message(self) -> str:
        where = "; ".join(f"{where}: {what}" for where, what in self.tampering[:3])
        return ("Your work is held for your instructor to review: your code refers to the grader's own machinery ("
                + where + "), which could change how it is graded, so it was not run. Only `from grader import "
                "check` and the helpers the exercise names may be used; your instructor will look at it and "
                "decide the grade.")


def review(extracted: Extracted) -> Review:
    """Read the extracted code and every module of the submission for references to the grader's internals."""
    found = Review()
    sources = [(extracted.code, extracted.where)] + [(m.code, m.where) for m in extracted.modules]
    for code, where in sources:
        for line, kind, what in review_code(code):
            bucket = getattr(found, kind)
            if len(bucket) < MAX_FINDINGS:
                bucket.append((where(line), what))
    return found


def review_code(code: str) -> list[tuple[int, str, str]]:
    """Findings in one module's text: (line, kind, what)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # extraction already reported code that does not parse
    aliases = _grader_aliases(tree)
    modules = _module_names(tree)
    named = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Subscript) and _constant_str(n.slice)}
    texts = _docstrings(tree)
    findings: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        found = _check(node, aliases, texts) + _check_patch(node, modules)
        if _is_sys_modules(node) and id(node) not in named:  # iterated, .get(), .values(): not one named module
            found.append(("introspection", "searches sys.modules"))
        findings += [(getattr(node, "lineno", 1), kind, what) for kind, what in found]
        if len(findings) > 4 * MAX_FINDINGS:
            break
    return findings


def _docstrings(tree: ast.Module) -> set[int]:
    """Strings that are statements of their own (docstrings, notes): text, never module names."""
    return {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr) and _constant_str(node.value)}


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


def _check(node: ast.AST, aliases: set[str], docstrings: set[int]) -> list[tuple[str, str]]:
    if isinstance(node, ast.Import):
        return [("tampering", f"imports {a.name}") for a in node.names if _internal(a.name)]
    if isinstance(node, ast.ImportFrom):
        return _check_from(node)
    if isinstance(node, ast.Attribute):
        return _check_attribute(node, aliases)
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
        return _check_text(node.value)
    if isinstance(node, ast.Call) and _name_of(node.func) in DYNAMIC_IMPORTS and node.args \
            and not _constant_str(node.args[0]):
        return [("introspection", f"imports a module by a computed name ({_name_of(node.func)})")]
    if isinstance(node, ast.Subscript) and _is_sys_modules(node.value) and _constant_str(node.slice) \
            and node.slice.value.strip() == "grader":  # type: ignore[attr-defined]
        return [("tampering", "looks up the grader package in sys.modules")]
    return []


def _check_from(node: ast.ImportFrom) -> list[tuple[str, str]]:
    module = node.module or ""
    if node.level:
        return []
    if module == "grader":
        return [("tampering", f"imports grader.{a.name}") for a in node.names
                if a.name not in STUDENT_NAMES and _internal(f"grader.{a.name}")]
    if _internal(module):
        return [("tampering", f"imports from {module}")]
    if module in ("sys", "inspect", "gc"):
        names = INTROSPECTION_ATTRS | (INSPECT_FRAMES if module == "inspect" else set())
        return [("introspection", f"imports {module}.{a.name}") for a in node.names if a.name in names]
    return []


def _check_attribute(node: ast.Attribute, aliases: set[str]) -> list[tuple[str, str]]:
    base = node.value
    if isinstance(base, ast.Name) and base.id in aliases and _internal(f"grader.{node.attr}"):
        return [("tampering", f"uses grader.{node.attr}")]
    if node.attr in INTROSPECTION_ATTRS:
        return [("introspection", f"uses {node.attr}")]
    if isinstance(base, ast.Name) and base.id == "inspect" and node.attr in INSPECT_FRAMES:
        return [("introspection", f"uses inspect.{node.attr}")]
    return []


def _check_text(text: str) -> list[tuple[str, str]]:
    """A string that is the dotted name of an internal module, or of something inside one."""
    name = text.strip()
    if len(name) > 200 or not all(part.isidentifier() for part in name.split(".")):
        return []
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if _internal(".".join(parts[:end])):
            return [("tampering", f"names {name[:60]!r} in a string")]
    return []


def _internal(name: str) -> bool:
    return name in internal_modules()


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
