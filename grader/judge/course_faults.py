"""The course's own mistakes: told to the instructor, never blamed on the student.

A spec that calls a probe `probes.py` does not define, or with arguments the probe does not take,
is found here from the probes' text before anything is sent (and by the worker where the text cannot
say: a probe bound by assignment). A probe that raised on its own is found by the worker, from the
frames that raised (`grader.worker.blame`). A name the contract (`assignment.toml`'s `names`), a spec
(`submission.require`) or a probe needs that the exercise's own stub does not define is the author's
typo, not the student's. Probes that do not load stop every submission the same way.

Each becomes a `CourseFault`: the test's outcome is `error` with `COULD_NOT_RUN` as its message and
scores 0 (a full score would reward every stub, and the test checks nothing), and its note goes to the
report's `internal_errors`, which puts the submission under "needs a look". A submission could dress its
own error up as the course's (the worker's word is all there is for a probe that raised), but gains
nothing by it: the test scores 0 either way, and the instructor sees the note. Fixing the probes or
specs changes what `grader grade` hashes, so the next run grades every submission again.
"""
from __future__ import annotations

import ast
import difflib
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError

COULD_NOT_RUN = ("The grader could not run this check: the fault is in the exercise's own test code, not in your "
                 "code. It scores 0 until your instructor fixes the exercise and grades it again.")
COULD_NOT_LOAD = ("The grader could not run this exercise's checks: the fault is in the exercise's own test code "
                  "(its probes), not in your code. It was not graded; your instructor can see why in the report.")
MAX_DETAIL = 600


class CourseFault(GraderError):
    """A check the course's own code could not run; `detail` is for the instructor (the report's internal_errors)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail[:MAX_DETAIL]


@dataclass(frozen=True)
class Probe:
    """What a probe (`def name(sub, ...)` at the top of probes.py) takes after the submission."""

    name: str
    keywords: tuple[str, ...]  # every argument a spec may pass by name
    required: tuple[str, ...]  # those without a default
    any_keyword: bool = False  # it has **kwargs
    unreachable: tuple[str, ...] = ()  # positional-only arguments after the first: no spec can pass them


@functools.lru_cache(maxsize=64)
def probe_table(source: str) -> dict[str, Probe | None] | None:
    """The probes by name, read from their text: a `def`'s arguments, or None for a name bound some other way
    (`from m import f`, `alias = f`: only the worker can tell what it is). Modules (`import m`) and classes are
    left out: the worker calls only functions. None when the text does not parse (the worker says why)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    table: dict[str, Probe | None] = {}
    for name, node in _top_level(tree):
        if name.startswith("_") or isinstance(node, (ast.Import, ast.ClassDef)):
            continue  # `import tensorflow as tf` binds a module, a class is no function: neither is a probe
        table[name] = _probe(name, node) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
    return table


def _probe(name: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Probe:
    args = node.args
    positional = [*args.posonlyargs, *args.args][1:]  # the first is the submission
    only = [a.arg for a in args.posonlyargs[1:]]
    defaults = len(args.defaults)
    required = [a.arg for a in positional[:len(positional) - defaults] if a.arg not in only]
    required += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    keywords = [a.arg for a in positional if a.arg not in only] + [a.arg for a in args.kwonlyargs]
    return Probe(name, tuple(keywords), tuple(required), args.kwarg is not None, tuple(only))


def _top_level(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """(name, the statement that binds it) at module level, inside top-level if/try/with blocks too."""
    found: list[tuple[str, ast.AST]] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((node.name, node))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [((a.asname or a.name).split(".")[0], node) for a in node.names if a.name != "*"]
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [(n.id, node) for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            todo += [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            todo += [s for h in getattr(node, "handlers", []) for s in h.body]
    return found


def check_call(table: dict[str, Probe | None] | None, probe: str, kwargs: dict[str, Any]) -> None:
    """Raise CourseFault when a spec's call cannot reach the probe it names with these arguments."""
    if table is None:
        return
    if probe not in table:
        close = difflib.get_close_matches(probe, list(table), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise CourseFault(f"the spec calls probe {probe!r}, which probes.py does not define{hint}; "
                          f"its probes: {', '.join(sorted(table)) or 'none'}")
    found = table[probe]
    if found is None:
        return
    unknown = [] if found.any_keyword else [k for k in kwargs if k not in found.keywords]
    missing = [k for k in found.required if k not in kwargs]
    if unknown or missing or found.unreachable:
        said = [f"it takes no argument {', '.join(map(repr, unknown))}" if unknown else "",
                f"it needs {', '.join(map(repr, missing))}" if missing else "",
                f"its positional-only {', '.join(map(repr, found.unreachable))} cannot be passed" if found.unreachable else ""]
        raise CourseFault(f"the spec calls probe {probe!r} with arguments it does not take: "
                          + "; ".join(s for s in said if s)
                          + f" (it takes {', '.join(found.keywords) or 'nothing'} after the submission)")


def stub_names(stub: Path) -> frozenset[str] | None:
    """The top-level names the exercise's `.py` stub defines; None when there is no stub to read."""
    try:
        status = os.stat(stub)
    except OSError:
        return None
    return _stub_names(str(stub), status.st_mtime_ns, status.st_size)


@functools.lru_cache(maxsize=64)
def _stub_names(path: str, mtime_ns: int, size: int) -> frozenset[str] | None:
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    return frozenset(name for name, _ in _top_level(tree))


def undefined_by_stub(names: tuple[str, ...] | list[str], stub: Path) -> list[str]:
    """The names (of the contract, a spec or a probe) that the stub itself does not define."""
    defined = stub_names(stub)
    return [] if defined is None else [n for n in names if n not in defined]


def contract_gaps(names: tuple[str, ...], stub: Path) -> list[str]:
    """The report's internal note for each name assignment.toml lists that the stub does not define."""
    return [f"assignment.toml names {name}, which the stub {stub.name} does not define: a typo in `names` or "
            "in the stub? Submissions are not asked for it." for name in undefined_by_stub(names, stub)]


def worker_fault(error: Any, probe: str) -> str | None:
    """The instructor's note for a call the worker says failed by the course's fault (None: the student's)."""
    course = error.get("course") if isinstance(error, dict) else None
    if not isinstance(course, dict):
        return None
    kind, message = _text(course.get("kind"), 40), _text(course.get("message"), 400)
    where, code = _text(course.get("where"), 200), _text(course.get("code"), 200)
    if kind == "probe-raised":
        detail = f"probe {probe!r} raised {_text(course.get('type'), 80)}" + (f" at {where}" if where else "")
        return detail + (f" (`{code}`)" if code else "") + (f": {message}" if message else "")
    if kind == "probes-load":
        return f"the probes could not be loaded: {_text(course.get('type'), 80)}" + (
            f" at {where}" if where else "") + (f": {message}" if message else "")
    return message or f"probe {probe!r} could not be run ({kind or 'no reason given'})"


def worker_missing(error: Any) -> str | None:
    """A name a probe read off the submission module, which lacked it (the worker's `missing`)."""
    missing = error.get("missing") if isinstance(error, dict) else None
    return missing[:200] if isinstance(missing, str) and missing.isidentifier() else None


def _text(value: Any, limit: int) -> str:
    """A worker-sent value as one bounded line of text (the worker is the student's: any type, any size)."""
    return " ".join(str(value)[:limit * 2].split())[:limit] if isinstance(value, (str, int, float)) else ""
